import { uuidv7 } from '../ids.ts';
import { programAverage } from './average.ts';
import { anyEnabled, evaluate, outcome } from './rules.ts';
import { fraudSettings } from './settings.ts';
import { readSignals, type Suspect } from './signals.ts';

/**
 * Runs a program's fraud rules on an attributed conversion before it is written: the flags to
 * write with it and the status they give it (held for review, rejected, or accepted).
 */
export async function screen(suspect: Suspect) {
  const settings = await fraudSettings(suspect.programId);
  if (!anyEnabled(settings)) return { status: 'ACCEPTED' as const, flags: [] };
  const signals = await readSignals(suspect, settings, () =>
    programAverage(suspect.programId, settings.AMOUNT_OUTLIER.params.lookbackDays),
  );
  const fired = evaluate(signals, settings);
  return { status: outcome(fired), flags: fired.map((f) => ({ id: uuidv7(), ...f })) };
}

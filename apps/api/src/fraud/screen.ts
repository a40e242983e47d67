import type { ConversionFacts } from '../conversions/facts.ts';
import { uuidv7 } from '../ids.ts';
import { programAverage } from './average.ts';
import { anyEnabled, evaluate, outcome, type Settings } from './rules.ts';
import { type Suspect, signalsOf } from './signals.ts';

/**
 * Runs a program's fraud rules on an attributed conversion before it is written: the flags to
 * write with it and the status they give it (held for review, rejected, or accepted).
 */
export async function screen(
  programId: string,
  settings: Settings,
  facts: ConversionFacts,
  suspect: Suspect,
) {
  if (!anyEnabled(settings)) return { status: 'ACCEPTED' as const, flags: [] };
  const outlier = settings.AMOUNT_OUTLIER;
  const average =
    outlier.enabled && suspect.amount !== null
      ? await programAverage(programId, outlier.params.lookbackDays)
      : null;
  const fired = evaluate(signalsOf(facts, suspect, average), settings);
  return { status: outcome(fired), flags: fired.map((f) => ({ id: uuidv7(), ...f })) };
}

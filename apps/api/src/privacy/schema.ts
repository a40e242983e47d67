import { createHash } from 'node:crypto';
import { z } from 'zod';
import { verifyPassword } from '../auth/password.ts';
import { anonymous } from '../auth/viewer.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { invalidInput } from '../errors.ts';
import { userIdOf } from '../users/schema.ts';
import { input } from '../validation.ts';
import { type Deleted, deleteAccount } from './deletion.ts';
import { decodeCursor, EXPORT_PAGE_ROWS, exportUserData } from './export.ts';

const DataExport = builder
  .objectRef<Awaited<ReturnType<typeof exportUserData>>>('PersonalDataExport')
  .implement({
    description:
      'Everything the platform holds about the signed-in user, as one JSON document per part (see README, Personal data).',
    fields: (t) => ({
      generatedAt: t.expose('generatedAt', { type: 'DateTime' }),
      document: t.expose('document', {
        type: 'JSONObject',
        description: `The data. Long lists (commissions, ledger entries) hold at most ${EXPORT_PAGE_ROWS} rows per part.`,
      }),
      next: t.exposeString('next', {
        nullable: true,
        description: 'Pass as `after` for the next part; null when this part completes the export.',
      }),
    }),
  });

const DeletedAccount = builder.objectRef<Deleted>('DeletedAccount').implement({
  fields: (t) => ({
    deletedAt: t.expose('deletedAt', { type: 'DateTime' }),
    closedOrganizationIds: t.exposeIDList('closedOrganizationIds', {
      description: 'The organizations the user owned alone, closed with the account.',
    }),
    forfeitedCommissions: t.exposeInt('forfeitedCommissions', {
      description: 'Pending and approved commissions given up (only with forfeitBalance).',
    }),
  }),
});

const DeleteMyAccountInput = builder.inputType('DeleteMyAccountInput', {
  description: 'Deleting cannot be undone: the account’s email and password confirm it.',
  fields: (t) => ({
    email: t.string({ description: "The account's email address." }),
    password: t.string({ description: 'The current password.' }),
    forfeitBalance: t.boolean({
      defaultValue: false,
      description:
        'Give up pending and approved commissions not yet paid out. Without it, deleting an affiliate that is still owed money is refused.',
    }),
  }),
  validate: input({
    email: z.string().trim().min(1, 'must not be empty').max(254),
    password: z.string().min(1, 'must not be empty').max(200),
  }),
});

const cursor = z
  .string()
  .max(200, 'must be the `next` of an earlier export')
  .refine((value) => decodeCursor(value) !== null, 'must be the `next` of an earlier export');

builder.queryField('myDataExport', (t) =>
  t.field({
    type: DataExport,
    description:
      'Exports what the platform holds about the signed-in user and their organizations. Only the user themselves: not an API key, not a network admin on their behalf.',
    authScopes: { user: true },
    args: { after: t.arg.string({ required: false, validate: cursor.nullish() }) },
    resolve: (_root, { after }, { viewer }) =>
      exportUserData(userIdOf(viewer), after ? decodeCursor(after) : null),
  }),
);

builder.mutationField('deleteMyAccount', (t) =>
  t.field({
    type: DeletedAccount,
    description:
      "Deletes the signed-in user's account: personal data erased, sessions ended, organizations owned alone closed; money records kept under a pseudonym (see README, Personal data).",
    authScopes: { user: true },
    args: { input: t.arg({ type: DeleteMyAccountInput }) },
    resolve: async (_root, { input }, context) => {
      const userId = userIdOf(context.viewer);
      const user = await prisma.user.findUniqueOrThrow({
        where: { id: userId },
        select: { email: true, passwordHash: true },
      });
      // Counted with log-ins: a stolen access token cannot guess the password here either.
      await context.rateLimits.take(
        'logInByAccount',
        createHash('sha256').update(user.email).digest('base64url'),
      );
      const issues = [];
      if (input.email.trim().toLowerCase() !== user.email)
        issues.push({ path: 'input.email', message: "must be this account's email address" });
      if (!(await verifyPassword(input.password, user.passwordHash)))
        issues.push({ path: 'input.password', message: 'is not the current password' });
      if (issues.length) throw invalidInput(issues);
      const deleted = await deleteAccount(userId, { forfeitBalance: input.forfeitBalance ?? false });
      context.viewer = anonymous; // the rest of this request no longer acts as the user
      return deleted;
    },
  }),
);

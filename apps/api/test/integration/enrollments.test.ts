import { describe, expect, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { failsWith, gql, ok } from '../helpers.ts';
import { activeProgram, affiliate, apply, decide, ENROLLMENT_FIELDS } from '../programs.ts';

const INVITE = `mutation($input: InviteAffiliateInput!) { inviteAffiliate(input: $input) { ${ENROLLMENT_FIELDS} } }`;
const APPLY = `mutation($input: ApplyToProgramInput!) { applyToProgram(input: $input) { ${ENROLLMENT_FIELDS} } }`;
const PROFILE = `query($id: ID!) { enrollment(id: $id) { affiliate { displayName channels country contactEmail payoutMethod payoutReference paypalEmail } } }`;
const PUBLIC_PROFILE = `query($id: ID!) { enrollment(id: $id) { affiliate { displayName channels country } } }`;

describe('applications', () => {
  test('reject needs a reason; a rejected affiliate may apply again; every change is kept with who and why', async () => {
    const { merchant, program } = await activeProgram();
    const aff = await affiliate('Dana');
    const applied = await apply(aff.user.token, program.id, aff.org.id);
    expect(
      await failsWith(decide('rejectEnrollment'), { input: { enrollmentId: applied.id } }, merchant.token),
    ).toBe('INVALID_INPUT');
    const rejected = await ok(
      decide('rejectEnrollment'),
      { input: { enrollmentId: applied.id, reason: 'Audience too small' } },
      merchant.token,
    );
    expect(rejected.rejectEnrollment.status).toBe('REJECTED');
    const again = await apply(aff.user.token, program.id, aff.org.id, 'We grew to 50k');
    expect(again).toMatchObject({ id: applied.id, status: 'PENDING', applicationMessage: 'We grew to 50k' });
    expect(again.history).toEqual([
      { fromStatus: null, toStatus: 'PENDING', reason: null, actorName: 'Dana' },
      { fromStatus: 'PENDING', toStatus: 'REJECTED', reason: 'Audience too small', actorName: 'Merchant' },
      { fromStatus: 'REJECTED', toStatus: 'PENDING', reason: null, actorName: 'Dana' },
    ]);
    const events = await prisma.enrollmentEvent.findMany({ where: { enrollmentId: applied.id } });
    expect(events.every((event) => event.actorUserId && event.createdAt)).toBe(true);
  });

  test('suspend (with a reason) and reinstate; the affiliate may withdraw', async () => {
    const { merchant, program } = await activeProgram();
    const aff = await affiliate();
    const applied = await apply(aff.user.token, program.id, aff.org.id);
    await ok(decide('approveEnrollment'), { input: { enrollmentId: applied.id } }, merchant.token);
    const suspended = await ok(
      decide('suspendEnrollment'),
      { input: { enrollmentId: applied.id, reason: 'Brand bidding' } },
      merchant.token,
    );
    expect(suspended.suspendEnrollment.status).toBe('SUSPENDED');
    expect(
      (await ok(decide('reinstateEnrollment'), { input: { enrollmentId: applied.id } }, merchant.token))
        .reinstateEnrollment.status,
    ).toBe('APPROVED');
    expect(
      (await ok(decide('withdrawEnrollment'), { input: { enrollmentId: applied.id } }, aff.user.token))
        .withdrawEnrollment.status,
    ).toBe('WITHDRAWN');
  });

  test('each side does only its own part', async () => {
    const { merchant, program } = await activeProgram();
    const aff = await affiliate();
    const applied = await apply(aff.user.token, program.id, aff.org.id);
    expect(
      await failsWith(decide('approveEnrollment'), { input: { enrollmentId: applied.id } }, aff.user.token),
    ).toBe('FORBIDDEN');
    expect(
      await failsWith(decide('withdrawEnrollment'), { input: { enrollmentId: applied.id } }, merchant.token),
    ).toBe('FORBIDDEN');
    expect(
      await failsWith(decide('reinstateEnrollment'), { input: { enrollmentId: applied.id } }, merchant.token),
    ).toBe('CONFLICT');
    expect(
      await failsWith(
        APPLY,
        { input: { programId: program.id, affiliateOrganizationId: aff.org.id } },
        aff.user.token,
      ),
    ).toBe('CONFLICT');
    expect((await prisma.enrollment.findUniqueOrThrow({ where: { id: applied.id } })).status).toBe('PENDING');
  });

  test('auto-approve approves applications at once, recorded as automatic', async () => {
    const { program } = await activeProgram({ autoApprove: true });
    const aff = await affiliate();
    const applied = await apply(aff.user.token, program.id, aff.org.id);
    expect(applied.status).toBe('APPROVED');
    expect(applied.history.at(-1)).toEqual({
      fromStatus: 'PENDING',
      toStatus: 'APPROVED',
      reason: 'The program approves applications automatically',
      actorName: 'automatic',
    });
  });

  test('an organization cannot join its own program; an affiliate needs a profile; drafts take no applications', async () => {
    const { merchant, org, program } = await activeProgram();
    expect(
      await failsWith(
        APPLY,
        { input: { programId: program.id, affiliateOrganizationId: org.id } },
        merchant.token,
      ),
    ).toBe('CONFLICT');
    await ok(
      `mutation($input: AffiliateProfileInput!) { upsertAffiliateProfile(input: $input) { id } }`,
      { input: { organizationId: org.id, displayName: 'Self', contactEmail: 'me@self.example' } },
      merchant.token,
    );
    expect(
      await failsWith(
        APPLY,
        { input: { programId: program.id, affiliateOrganizationId: org.id } },
        merchant.token,
      ),
    ).toBe('CONFLICT');
    await ok(
      `mutation($id: ID!) { setProgramStatus(programId: $id, status: PAUSED) { status } }`,
      { id: program.id },
      merchant.token,
    );
    // a paused program leaves the marketplace: to outsiders it does not exist
    const aff = await affiliate();
    expect(
      await failsWith(
        APPLY,
        { input: { programId: program.id, affiliateOrganizationId: aff.org.id } },
        aff.user.token,
      ),
    ).toBe('NOT_FOUND');
    expect(await prisma.enrollment.count({ where: { programId: program.id } })).toBe(0);
  });

  test('a merchant organization can also be an affiliate of another merchant (cross-promotion)', async () => {
    const host = await activeProgram({}, 'Host');
    const partner = await activeProgram({}, 'Partner');
    await ok(
      `mutation($input: AffiliateProfileInput!) { upsertAffiliateProfile(input: $input) { id } }`,
      {
        input: {
          organizationId: partner.org.id,
          displayName: 'Partner Shop',
          contactEmail: 'team@partner.example',
        },
      },
      partner.merchant.token,
    );
    const applied = await apply(partner.merchant.token, host.program.id, partner.org.id);
    expect(applied.status).toBe('PENDING');
    const org = await prisma.organization.findUniqueOrThrow({ where: { id: partner.org.id } });
    expect(org).toMatchObject({ isMerchant: true, isAffiliate: true });
  });

  test('nobody applies for an organization they do not administer', async () => {
    const { program } = await activeProgram();
    const victim = await affiliate('Victim');
    const attacker = await affiliate('Attacker');
    expect(
      await failsWith(
        APPLY,
        { input: { programId: program.id, affiliateOrganizationId: victim.org.id } },
        attacker.user.token,
      ),
    ).toBe('FORBIDDEN');
    expect(await prisma.enrollment.count({ where: { programId: program.id } })).toBe(0);
  });
});

describe('invitations', () => {
  test('a merchant invites to an invite-only program; only the invited affiliate can join', async () => {
    const { merchant, program } = await activeProgram({ visibility: 'INVITE_ONLY' });
    const invited = await affiliate('Invited');
    const outsider = await affiliate('Outsider');
    expect(
      await failsWith(
        APPLY,
        { input: { programId: program.id, affiliateOrganizationId: outsider.org.id } },
        outsider.user.token,
      ),
    ).toBe('NOT_FOUND');

    const invitation = await ok(
      INVITE,
      { input: { programId: program.id, affiliateId: invited.profile.id, message: 'Join us' } },
      merchant.token,
    );
    expect(invitation.inviteAffiliate.status).toBe('INVITED');
    // the invited affiliate now sees the program, and accepts
    expect(
      (await ok(`query($id: ID!) { program(id: $id) { name } }`, { id: program.id }, invited.user.token))
        .program.name,
    ).toBeTruthy();
    const accepted = await ok(
      decide('acceptInvitation'),
      { input: { enrollmentId: invitation.inviteAffiliate.id } },
      invited.user.token,
    );
    expect(accepted.acceptInvitation.status).toBe('APPROVED');
    expect(
      await failsWith(
        `query($id: ID!) { program(id: $id) { name } }`,
        { id: program.id },
        outsider.user.token,
      ),
    ).toBe('NOT_FOUND');
  });

  test('applying to a program one is invited to accepts the invitation', async () => {
    const { merchant, program } = await activeProgram();
    const aff = await affiliate();
    await ok(INVITE, { input: { programId: program.id, affiliateId: aff.profile.id } }, merchant.token);
    expect((await apply(aff.user.token, program.id, aff.org.id)).status).toBe('APPROVED');
  });
});

describe("an affiliate's details", () => {
  test('contact and payout details reach a merchant only once the affiliate is enrolled', async () => {
    const { merchant, program } = await activeProgram();
    const aff = await affiliate('Private');
    const applied = await apply(aff.user.token, program.id, aff.org.id);

    const pending = await gql(PROFILE, { id: applied.id }, merchant.token);
    expect(pending.errors?.map((e) => [e.path?.at(-1), e.extensions.code]).sort()).toEqual([
      ['contactEmail', 'FORBIDDEN'],
      ['payoutMethod', 'FORBIDDEN'],
      ['payoutReference', 'FORBIDDEN'],
      ['paypalEmail', 'FORBIDDEN'],
    ]);
    expect((await ok(PUBLIC_PROFILE, { id: applied.id }, merchant.token)).enrollment.affiliate).toEqual({
      displayName: 'Private Reviews',
      channels: ['blog', 'newsletter'],
      country: 'US',
    });

    await ok(decide('approveEnrollment'), { input: { enrollmentId: applied.id } }, merchant.token);
    expect((await ok(PROFILE, { id: applied.id }, merchant.token)).enrollment.affiliate).toMatchObject({
      contactEmail: 'partners@private.example',
      payoutMethod: 'PAYPAL',
      payoutReference: 'p•••@pay.example',
      // PayPal pays to an address: that one is kept in full, for the payout file.
      paypalEmail: 'private@pay.example',
    });
    // A bank account is never stored in full, and the PayPal address goes with the method.
    await ok(
      `mutation($input: AffiliateProfileInput!) { upsertAffiliateProfile(input: $input) { id } }`,
      {
        input: {
          organizationId: aff.org.id,
          displayName: 'Private Reviews',
          contactEmail: 'partners@private.example',
          payoutMethod: 'BANK_TRANSFER',
          payoutAccount: 'DE89 3704 0044 0532 0130 00',
        },
      },
      aff.user.token,
    );
    const row = await prisma.affiliateProfile.findUniqueOrThrow({ where: { id: aff.profile.id } });
    expect(row).toMatchObject({ payoutReference: '•••• 3000', paypalEmail: null });
    expect(JSON.stringify(row)).not.toContain('0532');
    expect(JSON.stringify(row)).not.toContain('private@pay.example');
  });

  test('another merchant cannot read an enrollment or the affiliate behind it', async () => {
    const { program } = await activeProgram();
    const rival = await activeProgram({}, 'Rival');
    const aff = await affiliate();
    const applied = await apply(aff.user.token, program.id, aff.org.id);
    expect(await failsWith(PUBLIC_PROFILE, { id: applied.id }, rival.merchant.token)).toBe('NOT_FOUND');
    expect(
      await failsWith(
        decide('approveEnrollment'),
        { input: { enrollmentId: applied.id } },
        rival.merchant.token,
      ),
    ).toBe('NOT_FOUND');
    const other = await affiliate('OtherAff');
    expect(await failsWith(PUBLIC_PROFILE, { id: applied.id }, other.user.token)).toBe('NOT_FOUND');
    expect(
      await failsWith(
        decide('withdrawEnrollment'),
        { input: { enrollmentId: applied.id } },
        other.user.token,
      ),
    ).toBe('NOT_FOUND');
  });
});

import { actsFor } from '../auth/scopes.ts';
import type { Viewer } from '../auth/viewer.ts';
import { forbidden } from '../errors.ts';
import type { Side } from '../generated/prisma/client.ts';
import type { EnrollmentParties } from './schema.ts';

/**
 * The side the viewer acts for in an enrollment, as an admin of the merchant or of the
 * affiliate. Members without the admin role may read the enrollment but not change it.
 */
export function actingSide(viewer: Viewer, enrollment: EnrollmentParties): Side {
  if (actsFor(viewer, enrollment.program.organizationId, 'ADMIN')) return 'MERCHANT';
  if (actsFor(viewer, enrollment.affiliate.organizationId, 'ADMIN')) return 'AFFILIATE';
  throw forbidden('This needs the admin role in the merchant or affiliate organization');
}

import { z } from 'zod';

// Shared pieces of input validation; each domain builds its input schemas from these.
export const id = z.uuid('must be an id returned by this API');
export const email = z.string().trim().toLowerCase().pipe(z.email('must be an email address').max(254));
export const name = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

/**
 * The schema of a whole input object. Pothos hands the resolver zod's output, so fields the
 * schema does not mention must pass through untouched (a strict object would drop them).
 */
export const input = <Shape extends z.ZodRawShape>(shape: Shape) => z.looseObject(shape);

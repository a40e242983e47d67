import { customAlphabet } from 'nanoid';
import { z } from 'zod';

// 10 characters of base62: about 8e17 codes, so codes cannot be guessed or enumerated.
export const shortCode = customAlphabet('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 10);

export const alias = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$/,
    'must be 3-64 letters, digits, - or _, starting with a letter or digit',
  );

import type GeneratedTypes from './generated/pothos-types.ts';

// The generated Pothos types describe every column; the client omits secret columns
// (db.ts), so the shapes Pothos sees must omit them too.
type Omitted = {
  User: 'passwordHash';
  ApiKey: 'keyHash';
  RefreshToken: 'tokenHash';
  WebhookEndpoint: 'secret';
  Invitation: 'tokenHash';
};

type WithoutSecrets<T> = T extends { Shape: infer S; Relations: infer R }
  ? Omit<T, 'Shape' | 'Relations'> & {
      Shape: S;
      Relations: {
        [K in keyof R]: R[K] extends { Name: infer N }
          ? Omit<R[K], 'Shape'> & { Shape: ShapeOf<R[K], N> }
          : R[K];
      };
    }
  : T;

type ShapeOf<Relation, Name> = Relation extends { Shape: infer S }
  ? Name extends keyof Omitted
    ? S extends (infer Item)[]
      ? Omit<Item, Omitted[Name]>[]
      : S extends null
        ? never
        : Omit<NonNullable<S>, Omitted[Name]> | Extract<S, null>
    : S
  : never;

export type PrismaTypes = {
  [Model in keyof GeneratedTypes]: Model extends keyof Omitted
    ? Omit<WithoutSecrets<GeneratedTypes[Model]>, 'Shape'> & {
        Shape: Omit<GeneratedTypes[Model]['Shape'], Omitted[Model]>;
      }
    : WithoutSecrets<GeneratedTypes[Model]>;
};

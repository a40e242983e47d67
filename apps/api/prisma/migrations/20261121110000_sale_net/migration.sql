-- What a sale is worth once refunds are taken off, in the program's currency: the reports, the
-- refunds' changes to them and the revenue tiers all use this one definition. Rounded down
-- (integer division): a partly refunded sale never counts for more than was kept.
CREATE FUNCTION sale_net(program_amount bigint, amount bigint, refunded bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN amount > 0 THEN coalesce(program_amount, 0) * (amount - refunded) / amount ELSE 0 END
$$;

CREATE OR REPLACE VIEW rollup_conversion AS
  SELECT v.id, v."programId", v."enrollmentId", k."linkId", k.sub1, v."occurredAt",
    (v.kind = 'LEAD')::int AS leads, (v.kind = 'SALE')::int AS sales,
    CASE WHEN v.kind = 'SALE' THEN
      sale_net(v."programAmount", v.amount, coalesce((SELECT sum(a.amount) FROM "ConversionAdjustment" a WHERE a."conversionId" = v.id), 0)::bigint)
    ELSE 0 END AS revenue,
    coalesce((SELECT sum(c.amount) FROM "Commission" c WHERE c."conversionId" = v.id AND c.status <> 'REJECTED'), 0)::bigint AS commission
  FROM "Conversion" v LEFT JOIN "Click" k ON k.id = v."clickId"
  WHERE v."enrollmentId" IS NOT NULL AND v.status <> 'REJECTED';

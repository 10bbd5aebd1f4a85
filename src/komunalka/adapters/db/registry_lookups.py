"""The lookups a registry import makes on PostgreSQL while staging a chunk (registry_pg.py):
which of its meters and accounts exist, which meters the database holds as their rows list them
(ADR 0022), and which keys an earlier chunk of the same import staged or found unchanged.

Keys travel as one string each (serials and account numbers hold no space, their patterns say
so): the driver encodes a string far faster than a text array, and `string_to_array` splits it
on the server.
"""

from __future__ import annotations

from dataclasses import dataclass

from komunalka.adapters.db.registry_changes import ROWS_SEPARATOR, content_of
from komunalka.adapters.db.registry_jobs import Key, first_of_each_meter
from komunalka.application.suppliers.ports import StagedRow

# The chunk's meters that exist: the import that last listed each (this one: landed by COPY, a
# duplicate), and whether the database holds it as its row lists it (ADR 0022): the fields the
# registry carries, joined as registry_changes.content_of joins the row's ($4), equal; the
# water-heater flag as the merge would leave it ($5: the file lists the flags); an accepted
# reading of each register for the row's period, if it has one. One index probe per key, and
# per found meter one into accounts and one per register into readings (a meter of one register,
# most of them, probes its reading straight, without splitting its registers: a fifth of the
# statement's CPU). LATERAL with OFFSET 0
# keeps the probes (a hash join would read the whole table for a chunk).
METERS_FOUND = """
    WITH m AS (SELECT unnest(string_to_array($1, ',')::int[]) AS supplier_id,
                      unnest(string_to_array($2, ' ')) AS key,
                      unnest(string_to_array($3, ',', '')::int[]) AS period,
                      unnest(string_to_array($4, chr(30))) AS content)
    SELECT m.supplier_id, m.key, x.registry_import_id,
           x.content = m.content AND ($5 OR NOT x.water_heater OR x.service = 'hot_water')
           AND (m.period IS NULL OR CASE WHEN strpos(x.registers, '|') = 0
               THEN EXISTS (SELECT FROM readings r WHERE r.meter_id = x.id
                            AND r.register = x.registers AND r.period = m.period
                            AND r.status = 'accepted')
               ELSE NOT EXISTS (
               SELECT FROM unnest(string_to_array(x.registers, '|')) g(register)
               WHERE NOT EXISTS (SELECT FROM readings r WHERE r.meter_id = x.id
                                 AND r.register = g.register AND r.period = m.period
                                 AND r.status = 'accepted')) END)
    FROM m CROSS JOIN LATERAL (
        SELECT t.id, t.registry_import_id, t.registers, t.water_heater, t.service,
               concat_ws(chr(31), a.number, a.holder, a.address, a.district,
                         coalesce(to_char(t.verification_due, 'YYYY-MM-DD'), ''), t.service,
                         t.registers, t.digits, t.decimals, t.status,
                         CASE WHEN $5 THEN CASE WHEN t.water_heater THEN 't' ELSE 'f' END END
               ) AS content
        FROM meters t JOIN accounts a ON a.id = t.account_id
        WHERE t.supplier_id = m.supplier_id AND t.serial = m.key OFFSET 0) x
"""
# Whether any meter lies between the chunk's least and greatest key of a supplier, taken in SQL,
# in the database's collation, which is the columns' (they name none) and so the order of their
# indexes. When none does, as in a supplier's first registry sorted by serial, none of the
# chunk's meters exists: METERS_FOUND is not run, and the rows are not even put into the
# strings it compares.
ANY_METER = """
    WITH m AS (SELECT unnest(string_to_array($1, ',')::int[]) AS supplier_id,
                      unnest(string_to_array($2, ' ')) AS key)
    SELECT EXISTS (SELECT FROM (SELECT supplier_id, min(key) lo, max(key) hi
                                FROM m GROUP BY supplier_id) r
                   WHERE EXISTS (SELECT FROM meters WHERE supplier_id = r.supplier_id
                                 AND serial BETWEEN r.lo AND r.hi))
"""
# Which of the accounts $3/$4 exist ('a': those of the chunk none of whose meters exist; with the
# same range probe first), which of the chunk's meters an earlier chunk of this import staged or
# found unchanged ('s': a duplicate), and of which of its accounts ($6/$7) an earlier chunk
# staged a row ('t': merged, so that the account's last row still wins). The probes into the
# import's own rows run only when it has such rows (one-time filters).
OTHERS_FOUND = """
    WITH m AS (SELECT unnest(string_to_array($1, ',')::int[]) AS supplier_id,
                      unnest(string_to_array($2, ' ')) AS key),
         a AS (SELECT unnest(string_to_array($3, ',')::int[]) AS supplier_id,
                      unnest(string_to_array($4, ' ')) AS key),
         c AS (SELECT unnest(string_to_array($6, ',')::int[]) AS supplier_id,
                      unnest(string_to_array($7, ' ')) AS key)
    SELECT 'a', a.supplier_id, a.key FROM a
    CROSS JOIN LATERAL (SELECT 1 FROM accounts
                        WHERE supplier_id = a.supplier_id AND number = a.key OFFSET 0) x
    WHERE EXISTS (SELECT FROM (SELECT supplier_id, min(key) lo, max(key) hi
                               FROM a GROUP BY supplier_id) r
                  WHERE EXISTS (SELECT FROM accounts WHERE supplier_id = r.supplier_id
                                AND number BETWEEN r.lo AND r.hi))
    UNION ALL
    SELECT 's', m.supplier_id, m.key FROM m
    CROSS JOIN LATERAL (SELECT FROM registry_rows WHERE import_id = $5
                        AND supplier_id = m.supplier_id AND serial = m.key LIMIT 1) x
    WHERE EXISTS (SELECT FROM registry_rows WHERE import_id = $5)
    UNION ALL
    SELECT 's', m.supplier_id, m.key FROM m
    CROSS JOIN LATERAL (SELECT FROM registry_seen WHERE import_id = $5
                        AND supplier_id = m.supplier_id AND serial = m.key) x
    WHERE EXISTS (SELECT FROM registry_seen WHERE import_id = $5)
    UNION ALL
    SELECT 't', c.supplier_id, c.key FROM c
    CROSS JOIN LATERAL (SELECT FROM registry_rows WHERE import_id = $5
                        AND supplier_id = c.supplier_id AND account = c.key LIMIT 1) x
    WHERE EXISTS (SELECT FROM registry_rows WHERE import_id = $5 AND NOT duplicate)
"""


@dataclass(slots=True)
class Prepared:
    """What staging a chunk needs of it and not of the database, made in the row check's worker
    thread while the previous chunk is staged (`PgRegistryStaging.prepare`): its rows without
    repeats, and the strings the lookups above take (ADR 0022)."""

    kept: list[StagedRow]
    repeats: list[int]
    supplier_ids: str  # $1
    serials: str  # $2
    accounts: set[Key]
    # METERS_FOUND's $3 and $4, or None: made if needed, in the step
    periods: str | None
    contents: str | None


def prepared_of(chunk: list[StagedRow], water_heaters: bool | None) -> Prepared:
    """`chunk` prepared; its rows' periods and contents too unless `water_heaters` is None (not
    known to be needed: a chunk of a new supplier's registry finds no meter to compare them
    with)."""
    kept, repeats = first_of_each_meter(chunk)
    prepared = Prepared(
        kept,
        repeats,
        ",".join([str(s.supplier_id) for s in kept]),
        " ".join([s.row.serial for s in kept]),
        {(s.supplier_id, s.row.account) for s in kept},
        None,
        None,
    )
    if water_heaters is not None:
        prepared.periods = periods_of(kept)
        prepared.contents = contents_of(kept, water_heaters)
    return prepared


def periods_of(kept: list[StagedRow]) -> str:
    """METERS_FOUND's $3: the rows' periods (their index; empty: no reading), in their order."""
    return ",".join([str(s.row.period.index) if s.row.period else "" for s in kept])


def contents_of(kept: list[StagedRow], water_heaters: bool) -> str:
    """METERS_FOUND's $4: the rows' contents (registry_changes.content_of), in their order."""
    return ROWS_SEPARATOR.join([content_of(s, water_heaters) for s in kept])

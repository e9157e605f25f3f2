-- The catalogue written through intake (事项实施清单, DOMAIN.md §2): the hierarchy, fees and
-- lanes of an item version, and the staging tables of a bulk import (docs/intake.md
-- "Catalogue").

-- 主项 main → 子项 sub → 业务办理项 business; parent_code is the parent's 实施编码 ('' for a
-- main item). The parent is a current item when the version is written (checked by intake:
-- rows are never edited in place, so no foreign key can follow a parent's versions).
ALTER TABLE items
    ADD COLUMN level       text   NOT NULL DEFAULT 'business'
                                  CHECK (level IN ('main', 'sub', 'business')),
    ADD COLUMN parent_code text   NOT NULL DEFAULT '',
    ADD COLUMN fee_cents   bigint NOT NULL DEFAULT 0 CHECK (fee_cents >= 0), -- 收费 in 分; 0 = free
    -- The priority lanes that apply to the item: love (爱心通道), green (绿色通道).
    ADD COLUMN lanes       text[] NOT NULL DEFAULT '{}',
    -- Rows loaded by SQL before the hierarchy existed are business items without a parent;
    -- intake refuses a new version without one (catalogue_rules.c).
    ADD CHECK (level <> 'main' OR parent_code = '');

CREATE INDEX items_by_parent ON items (parent_code) WHERE retired_at IS NULL;

-- A bulk import: rows are staged (each validated on arrival, its problems kept), then
-- committed all-or-nothing or partially (only the good rows).
CREATE TABLE catalogue_imports (
    import_id    text    PRIMARY KEY,
    label        text    NOT NULL DEFAULT '',
    state        text    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'committed')),
    created_at   timestamptz NOT NULL,
    committed_at timestamptz,
    partial      boolean NOT NULL DEFAULT false,
    written      integer NOT NULL DEFAULT 0, -- new item versions
    unchanged    integer NOT NULL DEFAULT 0, -- rows equal to the current version
    skipped      integer NOT NULL DEFAULT 0  -- bad rows left out of a partial commit
);

CREATE TABLE catalogue_import_rows (
    import_id  text    NOT NULL REFERENCES catalogue_imports (import_id) ON DELETE CASCADE,
    row_no     integer NOT NULL CHECK (row_no >= 1),
    impl_code  text    NOT NULL,
    parent_code text   NOT NULL,
    level      text    NOT NULL,
    item       bytea   NOT NULL, -- the packed onewindow.v1.CatalogueItem
    ok         boolean NOT NULL,
    PRIMARY KEY (import_id, row_no)
);
CREATE INDEX catalogue_import_rows_code ON catalogue_import_rows (import_id, impl_code);

CREATE TABLE catalogue_import_errors (
    import_id  text    NOT NULL REFERENCES catalogue_imports (import_id) ON DELETE CASCADE,
    row_no     integer NOT NULL,
    field      text    NOT NULL,
    message    text    NOT NULL,
    -- 'row': found when the row arrived; 'commit': found at commit (the parent), found again
    -- by a retried commit
    phase      text    NOT NULL CHECK (phase IN ('row', 'commit'))
);
CREATE INDEX catalogue_import_errors_by_row ON catalogue_import_errors (import_id, row_no);

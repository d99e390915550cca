-- The OMERO tables the cache regeneration target queries read, with OMERO's
-- own table and column names (OMERO 5.x schema; only the columns the
-- queries touch plus the NOT NULL bookkeeping ones), and fixture rows whose
-- expected target lists are written out in verify.yml and the unit tests.
CREATE TABLE fileset (
    id int8 PRIMARY KEY,
    permissions int8 NOT NULL DEFAULT -120,
    templatePrefix text NOT NULL,
    version int4,
    creation_id int8 NOT NULL DEFAULT 0,
    external_id int8 UNIQUE,
    group_id int8 NOT NULL DEFAULT 0,
    owner_id int8 NOT NULL DEFAULT 0,
    update_id int8 NOT NULL DEFAULT 0
);
CREATE TABLE image (
    id int8 PRIMARY KEY,
    acquisitionDate timestamp,
    archived bool,
    description text,
    permissions int8 NOT NULL DEFAULT -120,
    name varchar(255) NOT NULL,
    partial bool,
    series int4,
    version int4,
    creation_id int8 NOT NULL DEFAULT 0,
    external_id int8 UNIQUE,
    group_id int8 NOT NULL DEFAULT 0,
    owner_id int8 NOT NULL DEFAULT 0,
    update_id int8 NOT NULL DEFAULT 0,
    fileset int8 REFERENCES fileset (id)
);
CREATE TABLE plate (
    id int8 PRIMARY KEY,
    permissions int8 NOT NULL DEFAULT -120,
    name varchar(255) NOT NULL,
    version int4,
    creation_id int8 NOT NULL DEFAULT 0,
    external_id int8 UNIQUE,
    group_id int8 NOT NULL DEFAULT 0,
    owner_id int8 NOT NULL DEFAULT 0,
    update_id int8 NOT NULL DEFAULT 0
);
CREATE TABLE well (
    id int8 PRIMARY KEY,
    "column" int4,
    permissions int8 NOT NULL DEFAULT -120,
    "row" int4,
    version int4,
    creation_id int8 NOT NULL DEFAULT 0,
    external_id int8 UNIQUE,
    group_id int8 NOT NULL DEFAULT 0,
    owner_id int8 NOT NULL DEFAULT 0,
    update_id int8 NOT NULL DEFAULT 0,
    plate int8 NOT NULL REFERENCES plate (id)
);
CREATE TABLE wellsample (
    id int8 PRIMARY KEY,
    permissions int8 NOT NULL DEFAULT -120,
    version int4,
    creation_id int8 NOT NULL DEFAULT 0,
    external_id int8 UNIQUE,
    group_id int8 NOT NULL DEFAULT 0,
    owner_id int8 NOT NULL DEFAULT 0,
    update_id int8 NOT NULL DEFAULT 0,
    image int8 NOT NULL REFERENCES image (id),
    plateAcquisition int8,
    well int8 NOT NULL REFERENCES well (id),
    well_index int4 NOT NULL,
    UNIQUE (well, well_index)
);
CREATE TABLE dataset (
    id int8 PRIMARY KEY,
    description text,
    permissions int8 NOT NULL DEFAULT -120,
    name varchar(255) NOT NULL,
    version int4,
    creation_id int8 NOT NULL DEFAULT 0,
    external_id int8 UNIQUE,
    group_id int8 NOT NULL DEFAULT 0,
    owner_id int8 NOT NULL DEFAULT 0,
    update_id int8 NOT NULL DEFAULT 0
);
CREATE TABLE datasetimagelink (
    id int8 PRIMARY KEY,
    permissions int8 NOT NULL DEFAULT -120,
    version int4,
    child int8 NOT NULL REFERENCES image (id),
    creation_id int8 NOT NULL DEFAULT 0,
    external_id int8 UNIQUE,
    group_id int8 NOT NULL DEFAULT 0,
    owner_id int8 NOT NULL DEFAULT 0,
    update_id int8 NOT NULL DEFAULT 0,
    parent int8 NOT NULL REFERENCES dataset (id),
    UNIQUE (parent, child, owner_id)
);

-- Filesets 1-5: hand-made edge cases.
INSERT INTO fileset (id, templatePrefix) VALUES
    (1, 'demo_1/a/'), (2, 'demo_1/b/'), (3, 'demo_1/plate/'), (4, 'demo_1/c/'), (5, 'demo_1/empty/');
INSERT INTO image (id, name, fileset) VALUES
    (101, 'a-1', 1), (102, 'a-2', 1), (103, 'a-3', 1),   -- first image 101, 3 images
    (104, 'b', 2),                                       -- a single image
    (205, 'c-2', 4), (201, 'c-1', 4),                    -- first is the lowest id, not the first row
    (300, 'pre-fs', NULL);                               -- no fileset: never a fileset target
INSERT INTO image (id, name, fileset)                    -- a 10-image plate fileset, 110-119
    SELECT g, 'well-' || g, 3 FROM generate_series(110, 119) g;
-- Filesets 1001-1030, two images each (first image 2*id, second 2*id+1): the bulk.
INSERT INTO fileset (id, templatePrefix) SELECT g, 'bulk/' || g || '/' FROM generate_series(1001, 1030) g;
INSERT INTO image (id, name, fileset) SELECT 2 * g + k, 'bulk-' || g || '-' || k, g
    FROM generate_series(1001, 1030) g, generate_series(0, 1) k;

-- Plate 1: wells 1 and 2 (images 110-113); plate 2: well 3 (images 115-119);
-- plate 3: a well without samples (no target).
INSERT INTO plate (id, name) VALUES (1, 'plate-1'), (2, 'plate-2'), (3, 'plate-empty');
INSERT INTO well (id, "column", "row", plate) VALUES (1, 0, 0, 1), (2, 1, 0, 1), (3, 0, 0, 2), (4, 0, 0, 3);
INSERT INTO wellsample (id, image, well, well_index) VALUES
    (1, 111, 1, 0), (2, 110, 1, 1), (3, 112, 2, 0), (4, 113, 2, 1),
    (5, 119, 3, 0), (6, 118, 3, 1), (7, 117, 3, 2), (8, 116, 3, 3), (9, 115, 3, 4);

-- Datasets: 1 holds fileset 1's images, 2 holds image 104 and the pre-FS one, 3 is empty.
INSERT INTO dataset (id, name) VALUES (1, 'ds-1'), (2, 'ds-2'), (3, 'ds-empty');
INSERT INTO datasetimagelink (id, child, parent) VALUES (1, 101, 1), (2, 102, 1), (3, 103, 1), (4, 104, 2), (5, 300, 2);

-- The OMERO tables the import path reads and the test import command writes,
-- with OMERO's own table and column names (OMERO 5.x schema; only the columns
-- used plus NOT NULL bookkeeping ones). Created as the database owner, so the
-- database role's default privileges give the read-only role SELECT.
SET ROLE omero;
CREATE TABLE experimenter (
    id int8 PRIMARY KEY,
    omename varchar(255) NOT NULL UNIQUE,
    firstname varchar(255) NOT NULL DEFAULT '',
    lastname varchar(255) NOT NULL DEFAULT ''
);
CREATE TABLE dataset (
    id int8 PRIMARY KEY,
    name varchar(255) NOT NULL,
    owner_id int8 NOT NULL DEFAULT 0,
    group_id int8 NOT NULL DEFAULT 0
);
CREATE TABLE screen (
    id int8 PRIMARY KEY,
    name varchar(255) NOT NULL,
    owner_id int8 NOT NULL DEFAULT 0,
    group_id int8 NOT NULL DEFAULT 0
);
CREATE TABLE project (
    id int8 PRIMARY KEY,
    name varchar(255) NOT NULL,
    owner_id int8 NOT NULL DEFAULT 0,
    group_id int8 NOT NULL DEFAULT 0
);
CREATE TABLE fileset (
    id int8 PRIMARY KEY,
    templatePrefix text NOT NULL,
    owner_id int8 NOT NULL DEFAULT 0,
    group_id int8 NOT NULL DEFAULT 0
);
CREATE TABLE originalfile (
    id int8 PRIMARY KEY,
    path text NOT NULL,
    name text NOT NULL,
    size int8,
    repo varchar(36),
    owner_id int8 NOT NULL DEFAULT 0
);
CREATE TABLE filesetentry (
    id int8 PRIMARY KEY,
    clientPath text NOT NULL,
    fileset int8 NOT NULL REFERENCES fileset (id),
    originalFile int8 NOT NULL REFERENCES originalfile (id),
    fileset_index int4 NOT NULL,
    owner_id int8 NOT NULL DEFAULT 0
);
CREATE TABLE image (
    id int8 PRIMARY KEY,
    name varchar(255) NOT NULL,
    fileset int8 REFERENCES fileset (id),
    owner_id int8 NOT NULL DEFAULT 0
);
INSERT INTO experimenter (id, omename) VALUES (0, 'root'), (1, 'guest'), (2, 'alice'), (3, 'bob'), (4, 'carol');
INSERT INTO dataset (id, name, owner_id) VALUES (51, 'alice-experiments', 2), (52, 'bob-plates', 3);
INSERT INTO screen (id, name, owner_id) VALUES (61, 'carol-screen', 4);
INSERT INTO project (id, name, owner_id) VALUES (71, 'alice-project', 2);

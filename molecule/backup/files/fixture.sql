-- OMERO-like fixture: table names, a dbpatch table with the schema version,
-- sequences, foreign keys, NULLs, unicode, bytea. Owned by omero, readable
-- by omero_readonly, as the database role sets it up.
BEGIN;
SET ROLE omero;
CREATE TABLE dbpatch (
  id bigint PRIMARY KEY, currentversion varchar(255) NOT NULL, currentpatch integer NOT NULL,
  previousversion varchar(255) NOT NULL, previouspatch integer NOT NULL, finished timestamp, message varchar(255));
INSERT INTO dbpatch VALUES
  (1, 'OMERO5.3', 0, 'OMERO0', 0, '2019-03-01 10:00:00', 'Database ready.'),
  (2, 'OMERO5.4', 0, 'OMERO5.3', 0, '2021-06-01 10:00:00', 'Database ready.');
CREATE TABLE experimentergroup (id bigint PRIMARY KEY, name text UNIQUE NOT NULL, permissions bigint NOT NULL);
INSERT INTO experimentergroup SELECT g, 'group_' || g, (g % 4) * 64 FROM generate_series(0, 19) g;
CREATE TABLE experimenter (id bigint PRIMARY KEY, omename text UNIQUE NOT NULL, firstname text, lastname text, email text);
INSERT INTO experimenter SELECT g, 'user' || g, 'Prénom ' || g, 'Müller-' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'u' || g || '@example.org' END
  FROM generate_series(0, 199) g;
CREATE TABLE groupexperimentermap (id bigint PRIMARY KEY, parent bigint REFERENCES experimentergroup, child bigint REFERENCES experimenter);
INSERT INTO groupexperimentermap SELECT g, g % 20, g FROM generate_series(0, 199) g;
CREATE SEQUENCE seq_image;
CREATE TABLE project (id bigint PRIMARY KEY, name text NOT NULL, owner_id bigint REFERENCES experimenter);
INSERT INTO project SELECT g, 'Project ' || g, g % 200 FROM generate_series(1, 300) g;
CREATE TABLE dataset (id bigint PRIMARY KEY, name text NOT NULL, description text);
INSERT INTO dataset SELECT g, 'Dataset ' || g, repeat('desc ', g % 7) FROM generate_series(1, 1500) g;
CREATE TABLE image (id bigint PRIMARY KEY DEFAULT nextval('seq_image'), name text NOT NULL, acquisitiondate timestamp, fileset bigint);
INSERT INTO image (name, acquisitiondate, fileset)
  SELECT 'img_' || g || '_' || md5(g::text) || '.ome.tiff', timestamp '2020-01-01' + g * interval '17 minutes', g / 3
  FROM generate_series(1, 20000) g;
CREATE TABLE datasetimagelink (id bigint PRIMARY KEY, parent bigint REFERENCES dataset, child bigint REFERENCES image);
INSERT INTO datasetimagelink SELECT g, 1 + g % 1500, g FROM generate_series(1, 20000) g;
CREATE TABLE pixels (id bigint PRIMARY KEY, image bigint REFERENCES image, sizex int, sizey int, sizez int, sizec int, sizet int,
  sha1 varchar(40), thumb bytea);
INSERT INTO pixels SELECT g, g, 512 + g % 1024, 512 + g % 768, 1 + g % 60, 1 + g % 5, 1 + g % 12, md5(g::text)::varchar(40),
  decode(md5('thumb' || g) || md5('x' || g), 'hex') FROM generate_series(1, 20000) g;
CREATE TABLE annotation (id bigint PRIMARY KEY, discriminator text NOT NULL, textvalue text, longvalue bigint, doublevalue double precision);
INSERT INTO annotation SELECT g, CASE g % 3 WHEN 0 THEN '/basic/text/comment/' WHEN 1 THEN '/basic/num/long/' ELSE '/basic/num/double/' END,
  CASE WHEN g % 3 = 0 THEN 'Commentaire n°' || g || E' \u2603 tab\there' END,
  CASE WHEN g % 3 = 1 THEN g::bigint * 1000003 END, CASE WHEN g % 3 = 2 THEN g / 7.0 END
  FROM generate_series(1, 8000) g;
CREATE TABLE imageannotationlink (id bigint PRIMARY KEY, parent bigint REFERENCES image, child bigint REFERENCES annotation);
INSERT INTO imageannotationlink SELECT g, 1 + (g * 7) % 20000, g FROM generate_series(1, 8000) g;
CREATE TABLE originalfile (id bigint PRIMARY KEY, path text, name text, size bigint, hash varchar(255), mimetype text);
INSERT INTO originalfile SELECT g, 'user_' || (g % 200) || '_' || (g % 200) || '/2026-11/21/', 'file' || g || '.czi', g * 4096, md5('f' || g), 'application/octet-stream'
  FROM generate_series(1, 5000) g;
CREATE TABLE session (id bigint PRIMARY KEY, uuid text, started timestamp, closed timestamp);
GRANT SELECT ON ALL TABLES IN SCHEMA public TO omero_readonly;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO omero_readonly;
RESET ROLE;
COMMIT;
ANALYZE;

-- Vector tiles (migration 0005): tile_features follows assets through statement-level triggers (one
-- INSERT ... SELECT per statement, like the audit trail), so a tile reads geometries already in Web
-- Mercator and never transforms one. Removed assets, assets without a geometry and kinds not in
-- tile_kinds (vehicles) are left out.

-- The point a cluster counts an asset at: itself, or a point on its line or surface.
CREATE FUNCTION citypilot_tiles_point(g geometry) RETURNS geometry LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE WHEN GeometryType(g) = 'POINT' THEN g ELSE ST_PointOnSurface(g) END
$$;

CREATE FUNCTION citypilot_tiles_assets_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tile_features (asset_id, layer, kind, code, status, geom, x, y)
    SELECT n.id, k.layer, n.kind, n.code, n.status, m.g, ST_X(p.p), ST_Y(p.p)
      FROM new_rows AS n
      JOIN tile_kinds AS k ON k.kind = n.kind
     CROSS JOIN LATERAL (SELECT ST_Transform(n.geom, 3857) AS g) AS m
     CROSS JOIN LATERAL (SELECT citypilot_tiles_point(m.g) AS p) AS p
     WHERE n.status <> 'removed' AND n.geom IS NOT NULL AND NOT ST_IsEmpty(n.geom);
    RETURN NULL;
END $$;

CREATE FUNCTION citypilot_tiles_assets_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only rows whose drawing changed: geometry, code or status (kinds never change).
    WITH changed AS (
        SELECT n.id, n.kind, n.code, n.status, n.geom,
               n.status = 'removed' OR n.geom IS NULL OR ST_IsEmpty(n.geom) AS gone
          FROM old_rows AS o JOIN new_rows AS n USING (id)
         WHERE o.geom IS DISTINCT FROM n.geom OR o.code IS DISTINCT FROM n.code
            OR o.status IS DISTINCT FROM n.status
    ), dropped AS (
        DELETE FROM tile_features AS f USING changed AS c WHERE f.asset_id = c.id AND c.gone
    )
    INSERT INTO tile_features AS f (asset_id, layer, kind, code, status, geom, x, y)
    SELECT c.id, k.layer, c.kind, c.code, c.status, m.g, ST_X(p.p), ST_Y(p.p)
      FROM changed AS c
      JOIN tile_kinds AS k ON k.kind = c.kind
     CROSS JOIN LATERAL (SELECT ST_Transform(c.geom, 3857) AS g) AS m
     CROSS JOIN LATERAL (SELECT citypilot_tiles_point(m.g) AS p) AS p
     WHERE NOT c.gone
        ON CONFLICT (asset_id) DO UPDATE
       SET code = excluded.code, status = excluded.status, geom = excluded.geom, x = excluded.x, y = excluded.y;
    RETURN NULL;
END $$;

CREATE FUNCTION citypilot_tiles_assets_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tile_features AS f USING old_rows AS o WHERE f.asset_id = o.id;
    RETURN NULL;
END $$;

CREATE FUNCTION citypilot_tiles_assets_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE tile_features, tile_cells, tile_refresh;
    RETURN NULL;
END $$;

-- Refill tile_features from assets (after a bulk load with triggers off, or a change of tile_kinds).
CREATE FUNCTION citypilot_tiles_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    added bigint;
BEGIN
    TRUNCATE tile_features, tile_cells, tile_refresh;
    INSERT INTO tile_features (asset_id, layer, kind, code, status, geom, x, y)
    SELECT a.id, k.layer, a.kind, a.code, a.status, m.g, ST_X(p.p), ST_Y(p.p)
      FROM assets AS a
      JOIN tile_kinds AS k ON k.kind = a.kind
     CROSS JOIN LATERAL (SELECT ST_Transform(a.geom, 3857) AS g) AS m
     CROSS JOIN LATERAL (SELECT citypilot_tiles_point(m.g) AS p) AS p
     WHERE a.status <> 'removed' AND a.geom IS NOT NULL AND NOT ST_IsEmpty(a.geom);
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END $$;

CREATE TRIGGER assets_tiles_insert AFTER INSERT ON assets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION citypilot_tiles_assets_insert();
CREATE TRIGGER assets_tiles_update AFTER UPDATE ON assets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION citypilot_tiles_assets_update();
CREATE TRIGGER assets_tiles_delete AFTER DELETE ON assets
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION citypilot_tiles_assets_delete();
CREATE TRIGGER assets_tiles_truncate AFTER TRUNCATE ON assets
    FOR EACH STATEMENT EXECUTE FUNCTION citypilot_tiles_assets_truncate();

INSERT INTO tile_kinds (kind, layer) VALUES
    ('cabinet', 'lighting'), ('circuit', 'lighting'), ('pole', 'lighting'), ('luminaire', 'lighting'),
    ('signal_controller', 'traffic'), ('signal_head', 'traffic'),
    ('camera', 'video'),
    ('fibre_node', 'network'), ('fibre_segment', 'network'),
    ('sensor', 'environment'),
    ('energy_meter', 'energy'), ('building', 'energy');

SELECT citypilot_tiles_rebuild();

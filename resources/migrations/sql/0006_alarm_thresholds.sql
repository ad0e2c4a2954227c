-- Default sensor thresholds (alarm type sensor_threshold); change them with `citypilot alarms thresholds`.
-- Metrics are those of the sensor codecs (docs/MQTT.md). window_s 0: the latest value; otherwise the mean
-- of the stored values over that many seconds, as the limit values are defined.
INSERT INTO alarm_thresholds (sensor_type, metric, above, below, hysteresis, window_s, severity, source) VALUES
-- Directive 2008/50/EC, Annex XI: NO2 limit value for the protection of human health, 200 µg/m³ over one
-- hour (kept by the WHO Global Air Quality Guidelines 2021 and by Directive (EU) 2024/2881, Annex I).
('air', 'no2_ugm3', 200, NULL, 20, 3600, 'major',
 'Directive 2008/50/EC Annex XI: NO2 200 µg/m³, 1-hour mean'),
-- Directive 2008/50/EC, Annex XI: PM10 limit value 50 µg/m³ over 24 hours; in France also the information
-- and recommendation threshold (Code de l'environnement, art. R221-1).
('air', 'pm10_ugm3', 50, NULL, 5, 86400, 'major',
 'Directive 2008/50/EC Annex XI and Code de l''environnement R221-1: PM10 50 µg/m³, 24-hour mean'),
-- No legal street limit for a short-term level: 80 dB(A) is the lower exposure action value of Directive
-- 2003/10/EC (art. 3) and far above the WHO Environmental Noise Guidelines 2018 (road traffic Lden 53 dB);
-- used as an operational nuisance alarm on the sensor's LAeq of its reporting period.
('noise', 'laeq_db', 80, NULL, 3, 0, 'warning',
 'operational: Directive 2003/10/EC lower action value 80 dB(A); WHO Environmental Noise Guidelines 2018'),
-- Operational extremes for the winter service and the heat plan (Plan national canicule), beyond what
-- Dijon sees in an ordinary year; a reading outside them is also the usual sign of a broken probe.
('temperature', 'temperature_c', 40, -15, 1, 0, 'warning',
 'operational: winter service and heat plan extremes; also catches broken probes');

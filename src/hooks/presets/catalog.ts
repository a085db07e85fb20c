import type { PresetDefinition, PresetName } from './definition.ts';
import { fsfreezePreset } from './fsfreeze.ts';
import { mongodbPreset } from './mongodb.ts';
import { mysqlPreset } from './mysql.ts';
import { postgresqlPreset } from './postgresql.ts';
import { redisPreset } from './redis.ts';

/** Every preset, by name: the data behind expansion, the CRD's descriptions and the README. */
export const PRESETS: Readonly<Record<PresetName, PresetDefinition>> = {
  postgresql: postgresqlPreset,
  mysql: mysqlPreset,
  redis: redisPreset,
  mongodb: mongodbPreset,
  fsfreeze: fsfreezePreset,
};

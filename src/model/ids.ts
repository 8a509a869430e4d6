import { z } from 'zod';

/** Names of streams, lines, regions, probes, vendors, actuators, features: safe in URLs, metric labels and keys. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const idSchema = z.string().regex(ID_PATTERN, 'must be 1–63 letters, digits, "_", "." or "-"');

/** Secrets are never in the config file: it names the environment variable that holds them. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const envNameSchema = z.string().regex(ENV_NAME_PATTERN, 'must be an environment variable name');

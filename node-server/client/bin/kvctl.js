#!/usr/bin/env node
// kvctl is written in TypeScript; tsx runs it as it is, with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/kvctl/main.ts');

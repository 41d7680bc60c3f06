/**
 * `--stack pacemaker`: the cluster configuration of the reference deployment for Corosync +
 * Pacemaker (corosync.conf, the CIB). Being written: for now, no file.
 */
import { Deployment } from '../model/types';
import { GeneratedFile, GenerateOptions } from './common';

export function pacemakerFiles(_d: Deployment, _o: GenerateOptions): GeneratedFile[] {
  return [];
}

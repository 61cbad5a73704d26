/**
 * What the sidecar's group commit did during a scenario, from two scrapes of its /metrics:
 * how many group commits, how many records each held on average, how long each took, and the
 * time spent committing per wall time. Writers busy all the time (100% per concurrent commit
 * slot, RUNTRAIL_INGEST_COMMITS) means the store's commit path bounds the rate; writers mostly
 * idle with the sidecar's main thread at ~100% CPU means HTTP handling and validation bound it.
 */

export interface IngestCounters {
  commits: number;
  records: number;
  commitSeconds: number;
}

export interface GroupCommitStats {
  commits: number;
  meanGroupRecords: number;
  meanCommitMs: number;
  /** Commit time over wall time: 1 = one commit in flight all the time (2 with two slots busy). */
  writerBusy: number;
}

function sample(text: string, name: string, labels = ''): number {
  const pattern = new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} ([0-9.eE+-]+)$`, 'm');
  const match = pattern.exec(text);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

export function parseIngestCounters(metricsText: string): IngestCounters {
  return {
    commits: sample(metricsText, 'runtrail_ingest_batch_records_count'),
    records: sample(metricsText, 'runtrail_ingest_batch_records_sum'),
    commitSeconds: sample(metricsText, 'runtrail_ingest_commit_duration_seconds_sum', '{outcome="ok"}'),
  };
}

export function groupCommitStats(before: IngestCounters, after: IngestCounters, wallMs: number): GroupCommitStats {
  const commits = after.commits - before.commits;
  const records = after.records - before.records;
  const seconds = after.commitSeconds - before.commitSeconds;
  return {
    commits,
    meanGroupRecords: commits === 0 ? 0 : records / commits,
    meanCommitMs: commits === 0 ? 0 : (seconds * 1000) / commits,
    writerBusy: wallMs <= 0 ? 0 : (seconds * 1000) / wallMs,
  };
}

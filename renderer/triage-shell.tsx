import { useEffect } from 'react';
import { BulkJobDialog, JobsIndicator } from './components/BulkJobDialog';
import { BULK_WORDS, runningJobs, startJobSync, useBulkStore } from './stores/bulk';

// The bulk-by-filter pieces of the shell, each bound to the bulk store: the one dialog (any
// view opens it) and the topbar's note of running jobs.

export function BulkDialogHost() {
  const d = useBulkStore((s) => s.dialog);
  const job = useBulkStore((s) => (s.dialog?.jobId ? (s.jobs[s.dialog.jobId] ?? null) : null));
  const store = useBulkStore.getState();
  useEffect(() => startJobSync(), []);
  return (
    <BulkJobDialog
      open={d !== null}
      list={d?.target.list ?? 'outbox'}
      actions={d?.target.actions ?? []}
      action={d?.action ?? 'retry'}
      words={BULK_WORDS}
      preview={d?.preview ?? null}
      previewError={d?.previewError ?? null}
      reason={d?.reason ?? ''}
      starting={d?.starting ?? false}
      error={d?.startError ?? null}
      job={job}
      onAction={store.setAction}
      onReason={store.setReason}
      onStart={() => void store.start()}
      onCancelJob={() => {
        if (d?.jobId) void store.cancelJob(d.jobId);
      }}
      onClose={store.close}
    />
  );
}

export function RunningJobs() {
  const jobs = useBulkStore((s) => s.jobs);
  const reopen = useBulkStore((s) => s.reopen);
  return <JobsIndicator jobs={runningJobs(jobs)} onOpen={reopen} />;
}

import { filterText } from '../../../shared/filter-text';
import { ACTION_LIST, BULK_ACTIONS, type BulkAction, type BulkJob } from '../../../shared/triage';
import { previewBulk, type BulkTarget } from '../../api/bulk-filter';
import { BulkJobs } from '../../api/jobs';
import { LifecycleError } from '../../lifecycle/errors';
import { booleanFlag, positionals } from '../args';
import type { Command } from '../command';
import { CliError, UsageError } from '../errors';
import { checkedArgs } from '../filters';
import { ALL_FILTER_FLAGS, filterFor } from '../list-flags';
import { cell, plural } from '../output';
import { createProgress } from '../progress';
import { REASON_HELP, reasonFlag } from './operator';

// `bulk`: an action on every row matching the filters, run by the same job runner as the
// dashboard's "all N matching" (batches of 100, each one transaction, each row re-checked, one
// audit entry), here in this process. --dry-run prints the preview and changes nothing.

const count = (n: number): string => n.toLocaleString('en-US');

export const bulkCommand: Command = {
  name: 'bulk',
  summary: 'retry, resend, terminate, replay, replay as new or abort everything matching the filters',
  usage: `bulk ${BULK_ACTIONS.join('|')} [filters] [--reason R] [--dry-run]`,
  details: [
    "filters: those of 'outbox' for retry, resend and terminate; of 'turns' for replay, replay-as-new and abort",
    '               (narrowed to what the action can take: e.g. retry takes only pending rows)',
    '--dry-run      print how many match and can take the action, and a sample; change nothing',
    REASON_HELP,
    'Ctrl-C stops after the current batch; what was done stays done and is in the audit',
  ],
  flags: { ...ALL_FILTER_FLAGS, reason: 'string', 'dry-run': 'boolean' },
  prepare(args) {
    const [name] = positionals(args, ['action'], 'bulk');
    if (!(BULK_ACTIONS as readonly string[]).includes(name!)) {
      throw new UsageError(`the action must be one of ${BULK_ACTIONS.join(', ')}, not "${name!}"`, 'bulk');
    }
    const action = name as BulkAction;
    const list = ACTION_LIST[action];
    const target = checkedArgs(
      'previewBulk',
      { list, action, filter: filterFor(list, args, 'bulk') } as BulkTarget,
      'bulk',
    ) as BulkTarget;
    const reason = reasonFlag(args, 'bulk');
    const dryRun = booleanFlag(args, 'dry-run');
    return async (ctx) => {
      const store = await ctx.open();
      if (dryRun) {
        const preview = await previewBulk(store, target);
        ctx.out.emit({ dryRun: true, action, list, filter: target.filter, ...preview }, () =>
          [
            `${action} by filter (${preview.filterText}): ${count(preview.count)} of ${count(preview.matching)} matching can take it`,
            ...preview.sample.map((item) => `  ${cell(item.id)}  ${item.status}`),
            preview.count > preview.sample.length ? `  … and ${count(preview.count - preview.sample.length)} more` : '',
            'nothing was changed (dry run)',
          ]
            .filter(Boolean)
            .join('\n'),
        );
        return;
      }
      if (store.readOnly) {
        throw new LifecycleError('read_only', `the database is open read-only: bulk ${action} would change it`);
      }
      const progress = createProgress(`${action}`);
      const jobs = new BulkJobs({
        store,
        operator: ctx.operator,
        emit: (job) => progress.update(job.done + job.refused, job.total),
      });
      const started = await jobs.start({ ...target, ...(reason ? { reason } : {}) });
      const interrupt = (): void => {
        jobs.cancel(started.id);
      };
      process.once('SIGINT', interrupt);
      let job: BulkJob;
      try {
        job = await jobs.wait(started.id);
      } finally {
        process.off('SIGINT', interrupt);
        progress.finish();
      }
      ctx.out.emit({ job }, () =>
        [
          `bulk ${action} by filter (${filterText(list, target.filter)}): ${job.state}, ${count(job.done)} done, ${count(job.refused)} refused of ${count(job.total)}`,
          ...job.refusals.map((r) => `  refused ${cell(r.id)}: ${cell(r.error)}`),
          job.refused > job.refusals.length
            ? `  … and ${plural(job.refused - job.refusals.length, 'more refusal')}`
            : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
      if (job.state === 'failed')
        throw new CliError('internal', `the bulk job failed: ${job.error ?? 'unknown error'}`);
    };
  },
};

import type { ReactNode } from 'react';
import { DEFAULT_STUCK, formatDuration } from '../../shared/stuck';
import { DEFAULT_ATTENTION_WINDOW_MS, plainStatus } from '../../shared/triage';
import { OUTBOX_STATUSES, TURN_STATUSES, type OutboxStatus, type TurnStatus } from '../../shared/types';
import { humanStatus } from '../format';
import { StatusBadge } from './StatusBadge';

// What the help says: statuses, why something is stuck, each action, the shortcuts. The words
// follow the SPEC's rules (shared/SPEC.md); a status added to shared/types.ts must be explained
// here before this compiles.

const TURN_MEANS: Record<TurnStatus, string> = {
  accepted: 'The gateway recorded the message; nobody works on it yet.',
  running: 'The gateway (or a replay) is producing the answer.',
  delivery_pending: 'The final reply is written to the outbox and waits to be sent.',
  failed_retryable: 'Processing failed; the recovery worker runs it again at its next attempt, with backoff.',
  delivered: 'The final reply was sent (or nothing had to be sent, and the reason says why).',
  failed_terminal:
    'Out of attempts, too old, or its final reply failed for good. Only "Replay as new turn" answers it now.',
  aborted: 'Its session was aborted: nothing of it is sent any more.',
};

const OUTBOX_MEANS: Record<OutboxStatus, string> = {
  queued: 'Written before the send (write-ahead); it goes out now or at its due time.',
  failed_retryable: 'A send failed; it is tried again after a backoff, until its last attempt.',
  delivered: 'The platform took the message.',
  failed_terminal:
    'Not sent, for good: a terminal error, the last attempt, an abort or a Terminate. Only "Resend" sends it again.',
  expired: 'Too old to send. "Resend" sends a new copy.',
};

const STUCK_REASONS: { sentence: string; means: string }[] = [
  {
    sentence: 'final reply failed 2 times, last error …, next attempt in 30 s',
    means: 'The send failed and will be retried; the error says why (rate limit, blocked user, network).',
  },
  {
    sentence: 'final reply not sent yet, was due 3 min ago; is a recovery worker running?',
    means: 'Nobody has sent it: without a live recovery worker (see the banner and Recovery workers) nothing will.',
  },
  {
    sentence: 'running for 12 min with no final reply queued',
    means: 'The gateway started answering and never wrote a reply: it may have crashed mid-turn. Replay runs it again.',
  },
  {
    sentence: 'running for 6 min, held by gateway-2 for 4 min more',
    means: 'A live process holds it: its claim says who, and until when nobody else takes it.',
  },
  {
    sentence: 'failed 3 times, last error …',
    means: 'The turn itself failed (the model, a tool); the recovery worker replays it at its next attempt.',
  },
  {
    sentence: 'Failed for good: …',
    means: `Ended without an answer in the last ${formatDuration(DEFAULT_ATTENTION_WINDOW_MS)} and not by a person's choice: it needs attention until replayed as new or resent.`,
  },
];

interface ActionHelp {
  name: string;
  offered: string;
  does: string;
  never: string;
}

const ACTIONS: ActionHelp[] = [
  {
    name: 'Replay turn',
    offered: 'an open turn (received, being answered, waiting for its reply, will be retried)',
    does: "Makes it due now: the recovery worker runs it again with the gateway's handlers at its next pass.",
    never: 'creates a new turn, or runs anything where no recovery worker with handlers is alive.',
  },
  {
    name: 'Replay as new turn',
    offered: 'a turn that failed for good or was aborted',
    does: 'Creates a new turn with the same message, linked to the old one (both pages show the link).',
    never: 'changes the old turn; asking twice finds the same new turn instead of making another.',
  },
  {
    name: 'Abort session',
    offered: 'a session with open turns',
    does: 'In one transaction: every open turn of the session becomes aborted and every pending send of those turns failed for good (turn_aborted), so nothing of them is sent afterwards.',
    never: 'touches finished turns or other sessions; it cannot be undone.',
  },
  {
    name: 'Retry now',
    offered: 'a send that is waiting or will be retried',
    does: 'Makes it due now: the recovery worker sends it at its next pass.',
    never: 'creates a new row, or touches a send that already ended.',
  },
  {
    name: 'Terminate',
    offered: 'a send that is waiting or will be retried',
    does: 'Stops it for good: it becomes failed for good (stopped by an operator) and is never sent.',
    never: 'reopens: it cannot be undone, though "Resend" can still send a new copy later.',
  },
  {
    name: 'Resend',
    offered: 'a send that failed for good or expired',
    does: 'Creates a new outbox row with the same message and destination, linked to the original.',
    never: 'reopens the original; its idempotency key comes from the original, so asking twice cannot send twice.',
  },
  {
    name: 'Prune now',
    offered: 'on the Overview (Recovery workers), where this app may write',
    does: 'Deletes finished turns and sends older than the retention window (48 h by default) with their history.',
    never: 'deletes open work or anything younger than the window.',
  },
  {
    name: 'Act on all matching… / group actions (Errors)',
    offered: 'the same actions for every row a filter or an error group matches',
    does: 'Shows the exact count and a sample first; each row is checked again when its turn comes; one audit entry.',
    never: 'forces a row that changed meanwhile: it is refused and counted.',
  },
];

/** How a key reads in the help (KeyboardEvent.key names otherwise). */
const KEY_NAMES: Record<string, string> = { Escape: 'Esc', ' ': 'Space', ArrowUp: '↑', ArrowDown: '↓' };

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    // Headed blocks, not landmarks: the help is one region, its sections are found by heading.
    <div className="help-section">
      <h3 id={`help-${id}`}>{title}</h3>
      {children}
    </div>
  );
}

function Statuses({ statuses, means }: { statuses: readonly string[]; means: Record<string, string> }) {
  return (
    <dl className="help-statuses">
      {statuses.map((s) => (
        <div key={s}>
          <dt>
            <StatusBadge status={s} />
          </dt>
          <dd>
            {/* The plain words, where they say more than the badge ("failed, will be retried"). */}
            {plainStatus(s) !== humanStatus(s) && <strong>{plainStatus(s)}. </strong>}
            {means[s]}
          </dd>
        </div>
      ))}
    </dl>
  );
}

export interface HelpContentProps {
  /** Each: alternatives, each a sequence of keys ([['g', 'o'], ['1']]), and what it does. */
  shortcuts: readonly { keys: string[][]; label: string }[];
}

/** The help's text: what each status means, why work is stuck, what each action does, the keys. */
export function HelpContent({ shortcuts }: HelpContentProps) {
  return (
    <div className="help-content">
      <p className="muted small help-intro">
        A <em>turn</em> is one inbound message, followed until its final reply is delivered; each send is an{' '}
        <em>outbox row</em>, written before it is sent. Every action asks first, takes an optional reason, and is
        recorded in the Audit trail with who and when.
      </p>
      <Section id="turns" title="Turn statuses">
        <Statuses statuses={TURN_STATUSES} means={TURN_MEANS} />
      </Section>
      <Section id="outbox" title="Outbox statuses">
        <Statuses statuses={OUTBOX_STATUSES} means={OUTBOX_MEANS} />
      </Section>
      <Section id="stuck" title="Why it is stuck">
        <p className="small">
          A turn is stuck when it is not finished and has failed at least once or has not moved for{' '}
          {formatDuration(DEFAULT_STUCK.turnStuckAfterMs)}; a send, when it has failed at least once or is more than{' '}
          {formatDuration(DEFAULT_STUCK.outboxOverdueMs)} past its due time (the defaults). The “Why stuck” column says
          which:
        </p>
        <dl className="help-reasons">
          {STUCK_REASONS.map((r) => (
            <div key={r.sentence}>
              <dt className="stuck-reason">{r.sentence}</dt>
              <dd>{r.means}</dd>
            </div>
          ))}
        </dl>
      </Section>
      <Section id="actions" title="Actions">
        <dl className="help-actions">
          {ACTIONS.map((a) => (
            <div key={a.name}>
              <dt>{a.name}</dt>
              <dd>
                <span className="muted">For {a.offered}.</span> {a.does}{' '}
                <span className="help-never">Never {a.never}</span>
              </dd>
            </div>
          ))}
        </dl>
      </Section>
      <Section id="keys" title="Keyboard shortcuts">
        <table>
          <tbody>
            {shortcuts.map(({ keys, label }) => (
              <tr key={label}>
                <td>
                  {keys.map((sequence, i) => (
                    <span key={sequence.join(' ')}>
                      {i > 0 && <span className="muted"> or </span>}
                      {sequence.map((key, j) => (
                        <span key={key}>
                          {j > 0 && ' '}
                          <kbd>{KEY_NAMES[key] ?? key}</kbd>
                        </span>
                      ))}
                    </span>
                  ))}
                </td>
                <td>{label}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </div>
  );
}

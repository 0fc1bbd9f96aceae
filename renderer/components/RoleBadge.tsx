import type { ReactNode } from 'react';
import type { DbRole } from '../../shared/api';
import { Icon, LOCK_GLYPH, RECOVER_GLYPH } from './Icon';
import type { Tone } from './status-tones';

/** How each role reads: a short label, what it means for writes, a tone and an icon. */
export const ROLE_TEXT: Record<DbRole, { label: string; meaning: string; tone: Tone; icon: ReactNode }> = {
  demo: {
    label: 'Demo',
    meaning: 'a demo database fed by the demo gateway; this app recovers it',
    tone: 'amber',
    icon: <path d="M9 3h6M10 3v6l-5 9a2 2 0 0 0 1.7 3h10.6a2 2 0 0 0 1.7-3l-5-9V3" />,
  },
  observer: {
    label: 'Observer',
    meaning: 'writes only what you confirm',
    tone: 'blue',
    icon: (
      <>
        <path d="M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z" />
        <circle cx="12" cy="12" r="3" />
      </>
    ),
  },
  recovering: {
    label: 'Recovering',
    meaning: 'this app runs the recovery worker on this file',
    tone: 'violet',
    icon: RECOVER_GLYPH,
  },
  'read-only': {
    label: 'Read-only',
    meaning: 'nothing can be written',
    tone: 'gray',
    icon: LOCK_GLYPH,
  },
};

/** A role this renderer does not know (a newer backend) reads as an observer, the safe default. */
function roleText(role: DbRole): (typeof ROLE_TEXT)[DbRole] {
  return (ROLE_TEXT as Partial<typeof ROLE_TEXT>)[role] ?? ROLE_TEXT.observer;
}

/** "Observer — writes only what you confirm". */
export function roleSentence(role: DbRole): string {
  const t = roleText(role);
  return `${t.label} — ${t.meaning}`;
}

function RoleIcon({ role }: { role: DbRole }) {
  return <Icon size={14}>{roleText(role).icon}</Icon>;
}

export interface RoleBadgeProps {
  role: DbRole;
  /** Why the role is what it is (the tooltip; the visible text is elsewhere, at `describedBy`). */
  reason: string;
  /** The id of the element that shows the reason as text. */
  describedBy?: string | undefined;
}

/** The topbar's badge: the role and what it means for writes; the reason in the tooltip. */
export function RoleBadge({ role, reason, describedBy }: RoleBadgeProps) {
  const t = roleText(role);
  return (
    <span
      className={`role-badge tone-${t.tone}`}
      data-testid="role-badge"
      data-role={role}
      title={reason ? `${roleSentence(role)}. ${reason}` : roleSentence(role)}
      aria-describedby={describedBy}
    >
      <RoleIcon role={role} />
      <span className="role-text">
        <strong>{t.label}</strong>
        <span className="role-meaning"> — {t.meaning}</span>
      </span>
    </span>
  );
}

/** The sidebar's block: the role, what it means, and why, all as visible text. */
export function RoleBlock({ role, reason, reasonId }: { role: DbRole; reason: string; reasonId: string }) {
  const t = roleText(role);
  return (
    <section className={`role-block tone-${t.tone}`} aria-label="How this app treats the file" data-testid="role-block">
      <div className="role-head">
        <RoleIcon role={role} />
        <strong>{t.label}</strong>
      </div>
      <p className="role-block-meaning">{t.meaning}</p>
      {reason && (
        <p className="role-reason" id={reasonId}>
          {reason}
        </p>
      )}
    </section>
  );
}

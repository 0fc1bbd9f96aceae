import { useEffect, useState } from 'react';
import { AlertsButton, AlertSettingsDialog } from './components/AlertSettings';
import { useAlertsStore } from './stores/alerts';
import { IntegrityNotice, LivenessBanner } from './components/Banners';
import { ConfirmDialog } from './components/ConfirmDialog';
import { CopyLink } from './components/CopyLink';
import { HelpPopover } from './components/HelpPopover';
import { Notices } from './components/Notices';
import { RoleBadge } from './components/RoleBadge';
import { Sidebar } from './components/Sidebar';
import type { Route } from './routing';
import type { NoticeLink } from './components/Notices';
import { SHORTCUTS } from './shortcuts';
import { describe, REASON_MAX, skippedLine, useActionsStore, type ResultLink } from './stores/actions';
import { hrefFor } from './routing';
import { useLivenessStore } from './stores/liveness';
import { useStatusStore } from './stores/status';
import { useUiStore } from './stores/ui';
import { getTransport, type LinkState } from './transport/client';
import { copyCurrentLink, useViewLinks } from './url-state';

// The pieces of the shell around the views, each bound to the stores it shows (the components
// they render take props only). Each re-renders on its own, not with the view.

const ROLE_REASON_ID = 'role-reason';

export function useLinkState(): LinkState {
  const [state, setState] = useState<LinkState>('connecting');
  useEffect(() => getTransport().onLinkState(setState), []);
  return state;
}

export function AppSidebar({ route, link }: { route: Route; link: LinkState }) {
  const counts = useStatusStore((s) => s.counts);
  const info = useStatusStore((s) => s.info);
  const theme = useUiStore((s) => s.theme);
  const cycleTheme = useUiStore((s) => s.cycleTheme);
  const hrefs = useViewLinks((s) => s.hrefs);
  return (
    <Sidebar
      active={route.view === 'turn' ? 'turns' : route.view}
      hrefs={hrefs}
      stuck={{ turns: counts?.stuckTurns ?? 0, outbox: counts?.stuckOutbox ?? 0 }}
      info={info}
      link={link}
      theme={theme}
      onCycleTheme={cycleTheme}
      roleReasonId={ROLE_REASON_ID}
    />
  );
}

/** The topbar's end: the role badge (its reason is the sidebar's text) and the shortcut help. */
export function TopbarEnd() {
  const info = useStatusStore((s) => s.info);
  const helpOpen = useUiStore((s) => s.helpOpen);
  const setHelpOpen = useUiStore((s) => s.setHelpOpen);
  return (
    <div className="topbar-end">
      <CopyLink onCopy={copyCurrentLink} />
      {info?.role && (
        <RoleBadge
          role={info.role}
          reason={info.roleReason}
          describedBy={info.roleReason ? ROLE_REASON_ID : undefined}
        />
      )}
      <AppAlerts />
      <HelpPopover open={helpOpen} onOpenChange={setHelpOpen} shortcuts={SHORTCUTS} />
    </div>
  );
}

/** The bell and the alert settings it opens (renderer/stores/alerts.ts watches the counts). */
function AppAlerts() {
  const s = useAlertsStore();
  const last = s.last && { ...s.last.notice, at: s.last.at, shown: s.last.shown };
  return (
    <>
      <AlertsButton enabled={s.settings.enabled} open={s.open} onOpen={() => s.setOpen(true)} />
      <AlertSettingsDialog
        open={s.open}
        settings={s.settings}
        inputs={s.inputs}
        inputErrors={s.inputErrors}
        permission={s.permission}
        last={last}
        problem={s.problem}
        onClose={() => s.setOpen(false)}
        onEnabled={s.setEnabled}
        onNoWorker={s.setNoWorker}
        onInterval={s.setIntervalMs}
        onThresholdOn={s.setThresholdOn}
        onThresholdText={s.setThresholdText}
        onAllow={() => void s.requestPermission()}
        onTest={() => void s.sendTest()}
      />
    </>
  );
}

/** The integrity check and the liveness banner. */
export function AppBanners() {
  const integrity = useStatusStore((s) => s.integrity);
  const banner = useLivenessStore((s) => s.liveness?.banner ?? null);
  const inferred = useLivenessStore((s) => s.liveness?.inferred ?? null);
  return (
    <>
      <IntegrityNotice integrity={integrity} />
      <LivenessBanner banner={banner} inferred={inferred} />
    </>
  );
}

/** A result's link: a turn's page, or the outbox filtered to a row that has no turn (a resend). */
function noticeLink(l: ResultLink): NoticeLink {
  if ('turn' in l.to) return { label: l.label, title: l.title, href: hrefFor({ view: 'turn', id: l.to.turn }) };
  return { label: l.label, title: l.title, href: hrefFor({ view: 'outbox', filter: { search: l.to.outboxRow } }) };
}

export function AppNotices() {
  const message = useActionsStore((s) => s.message);
  const links = useActionsStore((s) => s.links);
  const note = useActionsStore((s) => s.note);
  const error = useActionsStore((s) => s.error);
  const dismissError = useActionsStore((s) => s.dismissError);
  return (
    <Notices message={message} links={links.map(noticeLink)} note={note} error={error} onDismissError={dismissError} />
  );
}

/** The confirmation of the requested action: what it will change, and what it waits for. */
export function ActionDialog() {
  const pending = useActionsStore((s) => s.pending);
  const busy = useActionsStore((s) => s.busy);
  const confirm = useActionsStore((s) => s.confirm);
  const cancel = useActionsStore((s) => s.cancel);
  const setReason = useActionsStore((s) => s.setReason);
  const noWorker = useLivenessStore((s) => s.liveness?.banner ?? null);
  const text = pending ? describe(pending) : null;
  const waits =
    noWorker &&
    (pending?.kind === 'replay' ||
      pending?.kind === 'retry' ||
      pending?.kind === 'resend' ||
      pending?.kind === 'replay-as-new');
  const skipped = pending ? skippedLine(pending) : null;
  const abortWaiting = pending?.kind === 'abort' && !pending.preview && !pending.previewError;
  const nothingToAbort = pending?.kind === 'abort' && pending.preview?.turns === 0;
  return (
    <ConfirmDialog
      open={pending !== null}
      title={text?.title ?? ''}
      busy={busy}
      confirmDisabled={abortWaiting || nothingToAbort}
      danger={text?.danger ?? false}
      reason={pending ? { value: pending.reason, onChange: setReason, maxLength: REASON_MAX } : undefined}
      onConfirm={() => void confirm()}
      onCancel={cancel}
    >
      {skipped && (
        <p className="notice notice-warn" data-testid="skipped">
          {skipped}
        </p>
      )}
      <p>{text?.body}</p>
      {nothingToAbort && <p className="notice notice-warn">Nothing to abort: the session has no open turns.</p>}
      {waits && <p className="notice notice-warn">{noWorker}</p>}
    </ConfirmDialog>
  );
}

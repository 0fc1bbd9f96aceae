import type { SeriesWindow } from '../shared/api';
import { ChannelTable } from './components/ChannelTable';
import { useWhileShown } from './hooks';
import { hrefFor, navigate } from './routing';
import { useChannelsStore, type ChannelsState } from './stores/channels';
import { useOutboxStore } from './stores/outbox';
import { useStatusStore } from './stores/status';
import { useTurnsStore } from './stores/turns';

// The Overview's Channels card, connected: the numbers from the channels store over the
// Overview's window, and its stuck counts leading to the lists filtered by channel.

const RANGE: Record<SeriesWindow, string> = {
  '1h': 'the last hour',
  '24h': 'the last 24 hours',
  '7d': 'the last 7 days',
};

const load = (s: ChannelsState): Promise<void> => s.load();

function stuckLink(channel: string, kind: 'turns' | 'outbox'): { href: string; onOpen(): void } {
  return {
    href: hrefFor({ view: kind }),
    onOpen: () => {
      (kind === 'turns' ? useTurnsStore : useOutboxStore).getState().showOnly({ channel, stuck: true });
      navigate({ view: kind });
    },
  };
}

export function ChannelsCard() {
  const window = useStatusStore((s) => s.window);
  const { stats, error } = useChannelsStore();
  const statsWindow = useChannelsStore((s) => s.window);
  useWhileShown(useChannelsStore, load);
  return (
    <ChannelTable
      stats={statsWindow === window ? stats : null}
      range={RANGE[window]}
      error={error}
      stuckLink={stuckLink}
    />
  );
}

import { prettyJson } from '../format';

/**
 * A payload exactly as text. It comes from chat users and gateways, so it is never parsed as
 * HTML: React puts it in a text node inside <pre> (no dangerouslySetInnerHTML anywhere).
 */
export function Payload({ text, label = 'Payload' }: { text: string; label?: string }) {
  return (
    <figure className="payload">
      <figcaption>{label}</figcaption>
      <pre tabIndex={0} aria-label={label}>
        {prettyJson(text)}
      </pre>
    </figure>
  );
}

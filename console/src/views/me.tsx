/** The caller as the API and the ledger see it, with its certificate's attributes. */
import type { ViewProps } from '../app';
import { Section } from '../ui';

export function MeView({ me }: ViewProps) {
  const rows: [string, string][] = [
    ['User', me.user],
    ['Org', `${me.org} (${me.mspId})`],
    ['Role', me.role ?? '(none: every write is refused)'],
    ['Account', me.account],
    ["Org's treasury", me.orgAccount],
    ['Regulator', me.regulator ? 'yes: reads everything' : 'no'],
    ['Read-only', me.readOnly ? 'yes' : 'no'],
  ];
  const certificate = me.certificate as Record<string, unknown>;
  return (
    <>
      <Section title="Me" testId="me">
        <dl>{rows.map(([k, v]) => [<dt key={`${k}-t`}>{k}</dt>, <dd key={`${k}-d`}>{v}</dd>])}</dl>
      </Section>
      <Section title="Certificate attributes" testId="me-attributes">
        <dl>{Object.entries(me.attributes).map(([k, v]) => [<dt key={`${k}-t`}>{k}</dt>, <dd key={`${k}-d`}>{String(v)}</dd>])}</dl>
      </Section>
      <Section title="Certificate" testId="me-certificate">
        <dl>
          {Object.entries(certificate).map(([k, v]) => [
            <dt key={`${k}-t`}>{k}</dt>,
            <dd key={`${k}-d`} class="mono">
              {typeof v === 'string' ? v : JSON.stringify(v)}
            </dd>,
          ])}
        </dl>
      </Section>
    </>
  );
}

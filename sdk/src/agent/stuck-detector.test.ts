import { describe, expect, it } from '@jest/globals';
import { text } from '../events/content.js';
import { makeEvent, type Event } from '../events/event.js';
import { detectStuck, StuckThresholdsSchema } from './stuck-detector.js';

const T = StuckThresholdsSchema.parse({});
let n = 0;
const user = (): Event => makeEvent({ kind: 'MessageEvent', source: 'user', llm_message: { role: 'user', content: [text('go')] } });
const agentMsg = (s: string): Event => makeEvent({ kind: 'MessageEvent', source: 'agent', llm_message: { role: 'assistant', content: [text(s)] } });
function step(command: string, output: string, error = false): Event[] {
  const id = `call_${n++}`;
  const action = makeEvent({
    kind: 'ActionEvent', tool_name: 'terminal', tool_call_id: id, llm_response_id: `r${n}`,
    tool_call: { id, name: 'terminal', arguments: JSON.stringify({ command }), origin: 'completion' },
    action: error ? null : { kind: 'TerminalAction', command, is_input: false, reset: false },
  });
  const result = error
    ? makeEvent({ kind: 'AgentErrorEvent', tool_name: 'terminal', tool_call_id: id, error: output })
    : makeEvent({ kind: 'ObservationEvent', tool_name: 'terminal', tool_call_id: id, action_id: action.id, observation: { kind: 'TerminalObservation', command, content: [text(output)] } });
  return [action, result];
}

describe('detectStuck', () => {
  it('repeated identical action and observation', () => {
    const three = [user(), ...step('ls', 'a'), ...step('ls', 'a'), ...step('ls', 'a')];
    expect(detectStuck(three, T)).toBeNull();
    expect(detectStuck([...three, ...step('ls', 'a')], T)).toBe('action_observation');
    expect(detectStuck([...three, ...step('ls', 'b')], T)).toBeNull();
  });

  it('repeated action failing the same way', () => {
    expect(detectStuck([user(), ...step('x', 'bad', true), ...step('x', 'bad', true)], T)).toBeNull();
    expect(detectStuck([user(), ...step('x', 'bad', true), ...step('x', 'bad', true), ...step('x', 'bad', true)], T)).toBe('action_error');
  });

  it('monologue: agent messages with no user message between', () => {
    expect(detectStuck([user(), agentMsg('a'), agentMsg('b')], T)).toBeNull();
    expect(detectStuck([user(), agentMsg('a'), agentMsg('b'), agentMsg('c')], T)).toBe('monologue');
    expect(detectStuck([agentMsg('a'), agentMsg('b'), user(), agentMsg('c')], T)).toBeNull();
  });

  it('alternating between two actions', () => {
    const ab = [...step('a', '1'), ...step('b', '2')];
    expect(detectStuck([user(), ...ab, ...ab], T)).toBeNull();
    expect(detectStuck([user(), ...ab, ...ab, ...ab], T)).toBe('alternating_pattern');
  });

  it('only looks at events since the last user message', () => {
    const history = [user(), ...step('ls', 'a'), ...step('ls', 'a'), ...step('ls', 'a'), ...step('ls', 'a')];
    expect(detectStuck([...history, user(), ...step('ls', 'a')], T)).toBeNull();
  });
});

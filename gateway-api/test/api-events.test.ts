import { Role as ChaincodeRole } from '@model-ledger/contract';
import { comparePositions, parseEventId } from '../src/fabric/events';
import { isReadOnly, isRegulator, knownRole } from '../src/fabric/identity';
import { visibleTo } from '../src/services/events';

describe('event ids and visibility', () => {
  it('reads an event id as its block and place, and orders ids by ledger position', () => {
    expect(parseEventId('42:3')).toEqual({ block: 42n, ordinal: 3 });
    for (const bad of ['', '42', '42:', ':3', '4 2:3', '-1:0', '1:2:3', '0x1:0']) {
      expect(parseEventId(bad)).toBeUndefined();
    }
    const order = ['9:1', '10:0', '10:2', '100:0'].map((id) => parseEventId(id)!);
    for (let i = 1; i < order.length; i++) {
      expect(comparePositions(order[i - 1], order[i])).toBeLessThan(0);
    }
  });

  it('shows a regulator every event and a member only those that name its org', () => {
    const hospital = { mspId: 'HospitalMSP', role: 'practitioner' as const };
    const regulator = { mspId: 'RegulatorMSP', role: 'regulator' as const };
    const toHospital = { payload: { to: 'org::HospitalMSP', amount: '1' } };
    const toClient = { payload: { licence: { holder: 'x509::HospitalMSP::ab12' } } };
    const ownedBy = { payload: { model: { ownerMspId: 'HospitalMSP' } } };
    const toLab = { payload: { to: 'org::LabMSP', note: 'not org::HospitalMSPX nor x509::HospitalMSPX::1' } };
    expect([toHospital, toClient, ownedBy, toLab].map((event) => visibleTo(hospital, event))).toEqual([true, true, true, false]);
    expect([toHospital, toLab, { payload: null }].map((event) => visibleTo(regulator, event))).toEqual([true, true, true]);
  });

  it('shows a member identity with role=regulator only the events that name its org', () => {
    const enrolledAsRegulator = { mspId: 'HospitalMSP', role: 'regulator' as const };
    const toHospital = { payload: { to: 'org::HospitalMSP', amount: '1' } };
    const toLab = { payload: { to: 'org::LabMSP', amount: '1' } };
    expect([toHospital, toLab, { payload: null }].map((event) => visibleTo(enrolledAsRegulator, event))).toEqual([true, false, false]);
  });
});

describe('who is a regulator', () => {
  it('is an identity of RegulatorMSP, whatever its role attribute, and nobody else', () => {
    expect(isRegulator({ mspId: 'RegulatorMSP' })).toBe(true);
    expect([null, 'admin', 'regulator'].map((role) => isRegulator({ mspId: 'RegulatorMSP', role } as { mspId: string }))).toEqual([
      true,
      true,
      true,
    ]);
    for (const mspId of ['HospitalMSP', 'LabMSP', 'ClearingMSP', 'regulatormsp', 'RegulatorMSP2']) {
      expect(isRegulator({ mspId, role: 'regulator' } as { mspId: string })).toBe(false);
    }
  });

  it('makes any identity with role=regulator read-only, as the chaincode does', () => {
    expect(isReadOnly({ mspId: 'RegulatorMSP', role: null })).toBe(true);
    expect(isReadOnly({ mspId: 'HospitalMSP', role: 'regulator' })).toBe(true);
    expect(isReadOnly({ mspId: 'HospitalMSP', role: 'practitioner' })).toBe(false);
    expect(isReadOnly({ mspId: 'HospitalMSP', role: null })).toBe(false);
  });

  it("knows exactly the chaincode's roles, so every role a user can be enrolled with is usable", () => {
    for (const role of Object.values(ChaincodeRole)) {
      expect(knownRole(role)).toBe(role);
    }
    expect(knownRole('staff')).toBeNull();
    expect(knownRole(undefined)).toBeNull();
    expect(knownRole('practitioner')).toBe('practitioner');
  });
});

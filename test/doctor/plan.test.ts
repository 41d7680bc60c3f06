/**
 * `doctorPlan`: which check runs against which host. The reference deployment must give one
 * VIP row for the pair, the four director checks for each director, one ARP row per real
 * host; a real server that is no host of the deployment gets a row that connects to nothing.
 */
import { doctorPlan } from '../../src/doctor/plan';
import { referenceDeployment } from '../../src/model/reference';
import { Deployment } from '../../src/model/types';

const clone = (d: Deployment): Deployment => JSON.parse(JSON.stringify(d));

describe('doctorPlan', () => {
  test('reference deployment: vip once for the pair, 4 checks per director with -H, arp per real server', () => {
    expect(doctorPlan(referenceDeployment)).toEqual([
      { check: 'vip', host: 'frontal1+frontal2' },
      { check: 'heartbeat', host: 'frontal1', address: '192.168.0.1' },
      { check: 'ipvs', host: 'frontal1', address: '192.168.0.1' },
      { check: 'sync', host: 'frontal1', address: '192.168.0.1' },
      { check: 'sorry', host: 'frontal1', address: '192.168.0.1' },
      { check: 'heartbeat', host: 'frontal2', address: '192.168.0.2' },
      { check: 'ipvs', host: 'frontal2', address: '192.168.0.2' },
      { check: 'sync', host: 'frontal2', address: '192.168.0.2' },
      { check: 'sorry', host: 'frontal2', address: '192.168.0.2' },
      { check: 'arp', host: 'reel1', address: '192.168.0.4' },
      { check: 'arp', host: 'reel2', address: '192.168.0.5' },
    ]);
  });

  test('the VIP row has no address: it is run from here and asks every director itself', () => {
    const vip = doctorPlan(referenceDeployment).filter((i) => i.check === 'vip');
    expect(vip).toHaveLength(1);
    expect(vip[0]!.address).toBeUndefined();
    expect(vip[0]!.address).toBeUndefined();
  });

  test('a real server missing from realHosts: no connection, a row that says so (by its name, else its address), once', () => {
    const d = clone(referenceDeployment);
    d.realHosts = [{ name: 'reel1', address: '192.168.0.4', interface: 'eth0' }];
    // reel2 no longer in realHosts and unnamed in the service; a third one named in the service only.
    d.services[0]!.realServers = [
      { name: 'reel1', address: '192.168.0.4', port: 80, weight: 1, forwarding: 'gate' },
      { address: '192.168.0.5', port: 80, weight: 1, forwarding: 'gate' },
      { name: 'reel3', address: '192.168.0.6', port: 80, weight: 1, forwarding: 'gate' },
    ];
    // The same real server in a second service (another port) is still one row.
    d.services.push({ ...clone(referenceDeployment).services[0]!, name: 'www2', port: 8080, realServers: [{ address: '192.168.0.5', port: 8080, weight: 1, forwarding: 'gate' }] });
    const arp = doctorPlan(d).filter((i) => i.check === 'arp');
    expect(arp).toEqual([
      { check: 'arp', host: 'reel1', address: '192.168.0.4' },
      { check: 'arp', host: '192.168.0.5', notChecked: 'not checked: real server 192.168.0.5 is not a host of the deployment (add it to realHosts)' },
      { check: 'arp', host: 'reel3', notChecked: 'not checked: real server 192.168.0.6 is not a host of the deployment (add it to realHosts)' },
    ]);
  });

  test('issue 13: only directors and realHosts are connected to, never a service address of a real server', () => {
    // The loopback test deployment: hosts reached at 127.0.0.x serve the addresses 192.168.0.4/5.
    const d = clone(referenceDeployment);
    d.directors = [
      { name: 'frontal1', address: '127.0.0.2', interface: 'eth0' },
      { name: 'frontal2', address: '127.0.0.3', interface: 'eth0' },
    ];
    d.realHosts = [
      { name: 'reel1', address: '127.0.0.4', interface: 'eth0' },
      { name: 'reel2', address: '127.0.0.5', interface: 'eth0' },
    ];
    const plan = doctorPlan(d);
    const hosts = new Set([...d.directors, ...d.realHosts].map((h) => h.address));
    for (const i of plan) {
      if (i.address !== undefined) expect(hosts).toContain(i.address);
    }
    expect(plan.filter((i) => i.check === 'arp')).toEqual([
      { check: 'arp', host: 'reel1', address: '127.0.0.4' },
      { check: 'arp', host: 'reel2', address: '127.0.0.5' },
    ]);
    expect(plan.some((i) => i.notChecked)).toBe(false);
  });

  test('three directors: the VIP row names all of them, each gets its own four rows', () => {
    const d = clone(referenceDeployment);
    d.directors.push({ name: 'frontal3', address: '192.168.0.7', interface: 'eth0' });
    const plan = doctorPlan(d);
    expect(plan[0]).toMatchObject({ check: 'vip', host: 'frontal1+frontal2+frontal3' });
    expect(plan.filter((i) => i.host === 'frontal3').map((i) => i.check)).toEqual(['heartbeat', 'ipvs', 'sync', 'sorry']);
    expect(plan).toHaveLength(1 + 3 * 4 + 2);
  });

  test('ha keepalived: each director gets the keepalived row in place of heartbeat (same count)', () => {
    const plan = doctorPlan({ ...clone(referenceDeployment), ha: 'keepalived' });
    expect(plan.filter((i) => i.host === 'frontal1').map((i) => i.check)).toEqual(['keepalived', 'ipvs', 'sync', 'sorry']);
    expect(plan.some((i) => i.check === 'heartbeat')).toBe(false);
    expect(doctorPlan(clone(referenceDeployment)).filter((i) => i.host === 'frontal1')[0]!.check).toBe('heartbeat');
  });
});

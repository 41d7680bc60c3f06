import { Deployment } from './types';

/**
 * The seed article's reference deployment (with the VIP typo `192.16.8.0.3` corrected
 * to 192.168.0.3, as the article's own haresources and ldirectord file have it).
 */
export const referenceDeployment: Deployment = {
  name: 'reference',
  directors: [
    { name: 'frontal1', address: '192.168.0.1', interface: 'eth0' },
    { name: 'frontal2', address: '192.168.0.2', interface: 'eth0' },
  ],
  vips: [{ address: '192.168.0.3', prefix: 24, label: 'eth0:0' }],
  services: [
    {
      name: 'www',
      protocol: 'tcp',
      address: '192.168.0.3',
      port: 80,
      scheduler: 'wlc',
      persistent: 3600,
      realServers: [
        { name: 'reel1', address: '192.168.0.4', port: 80, weight: 1, forwarding: 'gate' },
        { name: 'reel2', address: '192.168.0.5', port: 80, weight: 1, forwarding: 'gate' },
      ],
      fallback: { address: '127.0.0.1', port: 80 },
      quiescent: false,
      checktype: 'connect',
    },
  ],
  realHosts: [
    { name: 'reel1', address: '192.168.0.4', interface: 'eth0' },
    { name: 'reel2', address: '192.168.0.5', interface: 'eth0' },
  ],
  heartbeat: {
    keepalive: 2,
    warntime: 6,
    deadtime: 10,
    initdead: 60,
    udpport: 694,
    autoFailback: true,
    preferred: 'frontal1',
    media: 'ucast',
    auth: 'sha1',
    pingNodes: [],
  },
  sync: { syncid: 1, interface: 'eth0', mode: 'both' },
  sorry: { url: 'http://127.0.0.1:80/' },
};

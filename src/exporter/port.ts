/** The exporter's default port: outside the crowded 9100-9999 range; 694 recalls Heartbeat's port. */
export const DEFAULT_PORT = 10694;

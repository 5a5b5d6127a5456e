// Topic access control, pure: a device speaks only on its own topics, a bridge only under
// its base topic. The broker hooks are thin wrappers over these two functions.
import { DEVICE_BASE, type Principal } from '../devices/index.ts';

function under(topic: string, base: string): boolean {
  return topic === base || topic.startsWith(base + '/');
}

export function canPublish(principal: Principal, topic: string): boolean {
  if (topic.startsWith('$')) return false;
  if (principal.type === 'device') {
    const own = `${DEVICE_BASE}/${principal.deviceId}`;
    return topic === own || topic === `${own}/availability`;
  }
  return under(topic, principal.baseTopic) && topic !== principal.baseTopic;
}

export function canSubscribe(principal: Principal, filter: string): boolean {
  if (filter.startsWith('$')) return false;
  if (principal.type === 'device') {
    // its own devices/{id}/# (e.g. devices/{id}/set for commands): wildcards after the id
    // cannot climb back out of it, so a prefix test is enough
    return under(filter, `${DEVICE_BASE}/${principal.deviceId}`);
  }
  return under(filter, principal.baseTopic);
}

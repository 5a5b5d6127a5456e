// Security headers for every answer (helmet). The content policy is the page's: it runs only its
// own files, so a note someone stored cannot become a script or a style. HSTS only where the
// gateway is reached over https (http.publicUrl): on a plain-http LAN address it means nothing,
// and upgrade-insecure-requests would send the page's files to an https port that is not there.
import type { Config } from '../config/index.ts';

export const CONTENT_POLICY = {
  defaultSrc: ["'self'"], scriptSrc: ["'self'"], scriptSrcAttr: ["'none'"], styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:', 'blob:'], fontSrc: ["'self'"], connectSrc: ["'self'"], objectSrc: ["'none'"],
  frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'self'"],
};

export function securityHeaders(config: Pick<Config, 'http'>) {
  const https = /^https:/i.test(config.http.publicUrl ?? '');
  return {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_POLICY },
    referrerPolicy: { policy: 'no-referrer' as const },
    strictTransportSecurity: https ? { maxAge: 180 * 86_400 } : false,
    frameguard: { action: 'deny' as const },
  };
}

/** the content policy with further style sources, as a route's own helmet options */
export function routeContentPolicy(styleSrc: string[]) {
  return { contentSecurityPolicy: { useDefaults: false, directives: { ...CONTENT_POLICY, styleSrc: [...CONTENT_POLICY.styleSrc, ...styleSrc] } } };
}

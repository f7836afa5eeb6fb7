"""Staff sign-in for the pages (/console, /ledger, /reports, /field): the platform is an OpenID
Connect relying party of the city's identity provider (authorization code flow with PKCE,
through Authlib), and a signed-in person holds a server-side session.

- `store`: the sessions, in the page's service's own schema; the browser holds only a random id,
  in an HttpOnly, SameSite=Lax cookie (Secure outside development). A session ends after
  AUTH_SESSION_TTL_S, after AUTH_SESSION_IDLE_S unused, when the person signs out on any page, or
  when the provider ends it (back-channel logout, or a refused refresh: a disabled account).
- `oidc`: the provider's discovery document, keys, ID token, refresh and logout token.
- `sign_in`: the routes under `{page}/auth/` and what a page asks (who is signed in, CSRF).
- `demo`: make run's demo sign-in, development only. `pages`: the sign-in's own HTML, escaped.

Role and squad come from the provider's claims through the claim mapping of AuthSettings
(common.claims). A page's own API calls carry the session cookie; a state-changing one must
also send the session's CSRF token (`X-CSRF-Token`). Programs keep bearer tokens. Each sign-in
tells the directory (dispatch) who signed in (StaffSignedIn); each sign-out tells every page's
service (StaffSignedOut)."""

from common.web_session.sign_in import CSRF_HEADER, PageSessions, safe_next
from common.web_session.store import ProviderTokens, SessionStore, end_sessions, new_session, session_tables

__all__ = [
    "CSRF_HEADER",
    "PageSessions",
    "ProviderTokens",
    "SessionStore",
    "end_sessions",
    "new_session",
    "safe_next",
    "session_tables",
]

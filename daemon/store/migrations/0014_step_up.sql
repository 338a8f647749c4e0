-- 0014 Step-up re-authentication (issue 18): when the session's user last proved who they are
-- (password, and the second factor for staff): at sign-in and on POST /api/v1/auth/reauth.
-- Sensitive actions (creating users, MFA reset, device credentials, alert limits) need it
-- within security.step_up_minutes. NULL: not since the session began (an enrolment session).
ALTER TABLE sessions ADD COLUMN reauth_at INTEGER;

-- scim_users.linked: the SCIM user was linked (by email) to a member that existed before the
-- connection provisioned it. The IdP may not move such a member's address (scim/users.ts): the
-- connection's creator could otherwise take over a member holding roles it could not grant.
ALTER TABLE scim_users ADD COLUMN linked boolean NOT NULL DEFAULT false;

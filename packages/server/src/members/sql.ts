// The SQL that reads members: the columns of a MemberRecord, and the role-holder condition that
// works out in SQL what members/roles.ts works out in memory.

// The explicit roles in the order of member_roles' primary key (member_id, role_id): no sort per member.
export const MEMBER_COLUMNS = `
         m.member_id, m.organization_id, m.project_id, m.status, m.email_address, m.email_domain, m.email_address_verified,
         m.name, m.is_breakglass, m.mfa_enrolled, m.mfa_phone_number, m.mfa_phone_number_verified, m.default_mfa_method, m.trusted_metadata,
         m.untrusted_metadata, m.external_id, m.created_at, m.updated_at,
         ARRAY(SELECT r.role_id FROM member_roles r WHERE r.member_id = m.member_id ORDER BY r.role_id) AS explicit_roles,
         (SELECT json_build_object('password_id', pw.password_id, 'requires_reset', pw.requires_reset)
            FROM member_passwords pw WHERE pw.member_id = m.member_id) AS password,
         COALESCE((SELECT t.totp_id FROM totp_registrations t WHERE t.member_id = m.member_id AND t.status = 'active'), '') AS totp_registration_id,
         COALESCE((SELECT json_agg(json_build_object('registration_id', s.registration_id, 'connection_id', s.connection_id,
                                                     'external_id', s.external_id, 'groups', s.groups) ORDER BY s.created_at, s.registration_id)
                     FROM sso_registrations s WHERE s.member_id = m.member_id), '[]'::json) AS sso_registrations,
         COALESCE((SELECT json_agg(json_build_object('connection_id', g.connection_id, 'group_id', g.group_id) ORDER BY g.group_id)
                     FROM scim_group_members g WHERE g.member_id = m.member_id), '[]'::json) AS scim_groups,
         (SELECT json_build_object('connection_id', u.connection_id, 'registration_id', u.registration_id, 'external_id', u.external_id,
                                   'user_name', u.user_name, 'active', u.active, 'attributes', u.attributes)
            FROM scim_users u WHERE u.member_id = m.member_id LIMIT 1) AS scim_registration,
         lk.lock_created_at, lk.lock_expires_at`;
export const FROM_MEMBERS = `
    FROM members m
    LEFT JOIN member_lockouts lk ON lk.member_id = m.member_id AND lk.lock_expires_at IS NOT NULL`;

export const SELECT_MEMBERS = `SELECT ${MEMBER_COLUMNS}${FROM_MEMBERS}`;

/**
 * SQL true for a member `m` holding any of the roles `roles` (a text[] placeholder) explicitly or
 * by a rule of its organization (email domain of a verified address, SSO connection, IdP group, SCIM group) —
 * what memberRoles works out, as a condition. `within(alias)` bounds each set of holders (to some organizations, to
 * the project); it is not a test of the default role, which every member holds.
 */
export function roleHoldersSql(roles: string, within: (alias: string) => string): string {
  return `m.member_id IN (SELECT x.member_id FROM member_roles x WHERE ${within('x')} AND x.role_id = ANY(${roles}::text[]))
         OR (m.email_address_verified AND (m.organization_id, m.email_domain) IN (SELECT x.organization_id, x.domain FROM organization_email_role_rules x
                                                     WHERE ${within('x')} AND x.role_id = ANY(${roles}::text[])))
         OR m.member_id IN (SELECT r.member_id FROM sso_registrations r JOIN sso_connections c USING (connection_id)
                             WHERE ${within('r')}
                               AND (EXISTS (SELECT 1 FROM jsonb_array_elements(c.connection_role_rules) x WHERE x->>'role_id' = ANY(${roles}::text[]))
                                    OR EXISTS (SELECT 1 FROM jsonb_array_elements(c.group_role_rules) x
                                                WHERE x->>'role_id' = ANY(${roles}::text[]) AND x->>'group' = ANY(r.groups))))
         OR m.member_id IN (SELECT g.member_id FROM scim_group_members g JOIN scim_connections c USING (connection_id)
                             WHERE ${within('g')}
                               AND EXISTS (SELECT 1 FROM jsonb_array_elements(c.group_role_rules) x
                                            WHERE x->>'role_id' = ANY(${roles}::text[]) AND x->>'group_id' = g.group_id))`;
}


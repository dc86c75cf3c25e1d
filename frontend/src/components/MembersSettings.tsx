import { useCallback, useEffect, useState, type SubmitEvent } from "react";

import "../styles/settings.css";
import "../styles/members.css";
import { api, errorMessage, type Schemas } from "../lib/api";
import { BUSINESS_KEY } from "../lib/auth";
import { formatDateTime } from "../lib/format";
import { canChangeRole, canRemove, grantableRoles, type Role } from "../lib/members";
import { loadMe, type BusinessSummary, type Me } from "../lib/session";
import BusinessGate from "./BusinessGate";
import ConfirmDialog from "./ConfirmDialog";
import IslandBoundary from "./IslandBoundary";

type Member = Schemas["MemberRead"];
type Invitation = Schemas["InvitationRead"];

const ROLE_LABELS: Record<Role, string> = { owner: "Owner", admin: "Admin", member: "Member" };

/** The business's people: members and their roles, invitations (send, pending, withdraw). */
export default function MembersSettings() {
  return (
    <IslandBoundary name="The members">
      <BusinessGate>{(business, me) => <Members key={business.id} business={business} me={me} />}</BusinessGate>
    </IslandBoundary>
  );
}

function Members({ business, me }: { business: BusinessSummary; me: Me }) {
  const myRole = business.role as Role;
  const manager = myRole === "owner" || myRole === "admin";
  const [members, setMembers] = useState<Member[] | null>(null);
  const [invitations, setInvitations] = useState<Invitation[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [notice, setNotice] = useState("");
  const [removing, setRemoving] = useState<Member | null>(null);
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState<string | null>(null);
  const [rowError, setRowError] = useState<{ id: string; text: string } | null>(null);
  const path = { business_id: business.id };

  const load = useCallback(() => {
    setLoadError(null);
    api.GET("/api/v1/users/businesses/{business_id}/members", { params: { path } }).then(
      ({ data, error }) => (data ? setMembers(data) : setLoadError(errorMessage(error))),
      () => setLoadError(errorMessage(null)),
    );
    if (manager) {
      api.GET("/api/v1/users/businesses/{business_id}/invitations", { params: { path } }).then(
        ({ data, error }) => (data ? setInvitations(data) : setLoadError(errorMessage(error))),
        () => setLoadError(errorMessage(null)),
      );
    }
  }, [business.id, manager]);
  useEffect(load, [load]);

  const changeRole = async (member: Member, role: Role) => {
    setRowError(null);
    const { data, error } = await api.PATCH("/api/v1/users/businesses/{business_id}/members/{user_id}", {
      params: { path: { ...path, user_id: member.user_id } },
      body: { role },
    });
    if (!data) {
      setRowError({ id: member.user_id, text: errorMessage(error) });
      return;
    }
    setNotice(`${member.name} is now ${ROLE_LABELS[role].toLowerCase()}.`);
    if (member.user_id === me.id) {
      // My own role changed: the page's permissions follow.
      await loadMe(true);
      location.reload();
      return;
    }
    load();
  };

  const remove = async () => {
    if (!removing) return;
    setBusy(true);
    setDialogError(null);
    const leaving = removing.user_id === me.id;
    const { error, response } = await api.DELETE("/api/v1/users/businesses/{business_id}/members/{user_id}", {
      params: { path: { ...path, user_id: removing.user_id } },
    });
    setBusy(false);
    if (!response.ok) {
      setDialogError(errorMessage(error));
      return;
    }
    if (leaving) {
      localStorage.removeItem(BUSINESS_KEY);
      location.assign("/dashboard");
      return;
    }
    setNotice(`${removing.name} no longer has access to ${business.name}.`);
    setRemoving(null);
    load();
  };

  return (
    <section className="card settings-card" aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      <p className="muted">
        Everyone here can see {business.name}'s figures. Owners and admins manage the business and
        invite people; only owners can make someone an owner or delete the business.
      </p>
      {manager && <InviteForm business={business} myRole={myRole} onInvited={(text) => (setNotice(text), load())} />}

      <h3>People</h3>
      {loadError ? (
        <div className="state error" role="alert">
          <p>{loadError}</p>
          <button type="button" className="button secondary" onClick={load}>
            Try again
          </button>
        </div>
      ) : members === null ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : (
        <ul className="member-list">
          {members.map((member) => {
            const self = member.user_id === me.id;
            // The only owner can neither leave nor step down (the API answers last_owner).
            const soleOwner = member.role === "owner" && members.filter((m) => m.role === "owner").length === 1;
            const editable = canChangeRole(myRole, member.role as Role, self) && !soleOwner;
            const roleId = `role-${member.user_id}`;
            return (
              <li key={member.user_id}>
                <div className="member-main">
                  <span className="member-name">
                    {member.name}
                    {self && <span className="muted"> (you)</span>}
                  </span>
                  <span className="muted member-email">{member.email}</span>
                </div>
                <div className="member-actions">
                  {editable ? (
                    <>
                      <label htmlFor={roleId} className="visually-hidden">
                        Role of {member.name}
                      </label>
                      <select
                        id={roleId}
                        value={member.role}
                        onChange={(e) => void changeRole(member, e.target.value as Role)}
                      >
                        {grantableRoles(myRole, member.role as Role).map((role) => (
                          <option key={role} value={role}>
                            {ROLE_LABELS[role]}
                          </option>
                        ))}
                      </select>
                    </>
                  ) : (
                    <span className="role-badge">{ROLE_LABELS[member.role as Role]}</span>
                  )}
                  {canRemove(myRole, member.role as Role, self) && !soleOwner && (
                    <button
                      type="button"
                      className="button secondary danger-text small"
                      onClick={() => {
                        setDialogError(null);
                        setRemoving(member);
                      }}
                    >
                      {self ? "Leave" : "Remove"}
                      {!self && <span className="visually-hidden"> {member.name}</span>}
                    </button>
                  )}
                </div>
                {rowError?.id === member.user_id && (
                  <p className="field-error member-error" role="alert">
                    {rowError.text}
                  </p>
                )}
              </li>
            );
          })}
        </ul>
      )}

      {manager && (
        <PendingInvitations
          business={business}
          myRole={myRole}
          invitations={invitations}
          onChange={(text) => (setNotice(text), load())}
        />
      )}
      <p className="saved" role="status">
        {notice}
      </p>
      <ConfirmDialog
        open={removing !== null}
        title={removing?.user_id === me.id ? `Leave ${business.name}?` : `Remove ${removing?.name ?? ""}?`}
        action={removing?.user_id === me.id ? "Leave" : "Remove"}
        busy={busy}
        error={dialogError}
        onConfirm={() => void remove()}
        onCancel={() => {
          setRemoving(null);
          setDialogError(null);
        }}
      >
        <p>
          {removing?.user_id === me.id
            ? "You lose access at once. An owner or admin can invite you again."
            : "They lose access at once. You can invite them again later."}
        </p>
      </ConfirmDialog>
    </section>
  );
}

function InviteForm({
  business,
  myRole,
  onInvited,
}: {
  business: BusinessSummary;
  myRole: Role;
  onInvited: (notice: string) => void;
}) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const address = email.trim();
    if (!address || !address.includes("@")) {
      setError("Enter the email address to invite, such as name@example.com.");
      return;
    }
    setSending(true);
    setError(null);
    const { data, error: apiError } = await api.POST("/api/v1/users/businesses/{business_id}/invitations", {
      params: { path: { business_id: business.id } },
      body: { email: address, role },
    });
    setSending(false);
    if (!data) {
      const field = apiError?.errors?.find((e) => e.field === "email");
      setError(field ? `Check the address: ${field.message}` : errorMessage(apiError));
      return;
    }
    setEmail("");
    setRole("member");
    onInvited(`Invitation sent to ${data.email}. The link works for 7 days.`);
  };

  return (
    <form className="invite-form" onSubmit={submit} noValidate aria-labelledby="invite-heading">
      <h3 id="invite-heading">Invite someone</h3>
      <div className="invite-fields">
        <div className="field">
          <label htmlFor="invite-email">Email</label>
          <input
            id="invite-email"
            type="email"
            autoComplete="off"
            maxLength={320}
            value={email}
            placeholder="name@example.com"
            onChange={(e) => setEmail(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "invite-error" : undefined}
          />
        </div>
        <div className="field">
          <label htmlFor="invite-role">Role</label>
          <select id="invite-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {grantableRoles(myRole, "member").map((option) => (
              <option key={option} value={option}>
                {ROLE_LABELS[option]}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button" disabled={sending}>
          {sending ? "Sending…" : "Send invitation"}
        </button>
      </div>
      {error && (
        <p id="invite-error" className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function PendingInvitations({
  business,
  myRole,
  invitations,
  onChange,
}: {
  business: BusinessSummary;
  myRole: Role;
  invitations: Invitation[] | null;
  onChange: (notice: string) => void;
}) {
  const [error, setError] = useState<string | null>(null);

  const withdraw = async (invitation: Invitation) => {
    setError(null);
    const { error: apiError, response } = await api.DELETE(
      "/api/v1/users/businesses/{business_id}/invitations/{invitation_id}",
      { params: { path: { business_id: business.id, invitation_id: invitation.id } } },
    );
    if (response.ok || response.status === 404) {
      onChange(`The invitation to ${invitation.email} is withdrawn; its link no longer works.`);
    } else {
      setError(errorMessage(apiError));
    }
  };

  return (
    <>
      <h3>Pending invitations</h3>
      {invitations === null ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : invitations.length === 0 ? (
        <p className="muted">No pending invitations.</p>
      ) : (
        <ul className="member-list">
          {invitations.map((invitation) => (
            <li key={invitation.id}>
              <div className="member-main">
                <span className="member-name">{invitation.email}</span>
                <span className="muted member-email">
                  {ROLE_LABELS[invitation.role as Role]} · expires {formatDateTime(invitation.expires_at)}
                  {invitation.invited_by ? ` · invited by ${invitation.invited_by}` : ""}
                </span>
              </div>
              {(myRole === "owner" || invitation.role !== "owner") && (
                <div className="member-actions">
                  <button
                    type="button"
                    className="button secondary danger-text small"
                    onClick={() => void withdraw(invitation)}
                  >
                    Withdraw<span className="visually-hidden"> the invitation to {invitation.email}</span>
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

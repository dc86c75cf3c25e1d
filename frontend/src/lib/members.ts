/**
 * Who may do what to whom in a business's members list, as the API decides it
 * (backend/app/teams/service.py): the page offers only what will be accepted.
 */

export type Role = "owner" | "admin" | "member";

/** Owners change anyone's role; admins change members' and their own, never to owner. */
export function canChangeRole(mine: Role, theirs: Role, self: boolean): boolean {
  if (mine === "owner") return true;
  if (mine === "admin") return theirs === "member" || self;
  return false;
}

/** The roles `mine` can give to someone who is now `theirs` (their current role included). */
export function grantableRoles(mine: Role, theirs: Role): Role[] {
  if (mine === "owner") return ["owner", "admin", "member"];
  if (mine === "admin") return theirs === "owner" ? ["owner"] : ["admin", "member"];
  return [theirs];
}

/** Anyone may leave; owners remove anyone, admins anyone but owners. */
export function canRemove(mine: Role, theirs: Role, self: boolean): boolean {
  if (self) return true;
  if (mine === "owner") return true;
  return mine === "admin" && theirs !== "owner";
}

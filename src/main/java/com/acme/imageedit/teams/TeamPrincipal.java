package com.acme.imageedit.teams;

/**
 * Who is calling: a team (its id) or an admin ({@code teamId} is {@code null}). Every query of team data is scoped by
 * {@link #teamId()} in SQL unless the caller is an admin.
 */
public record TeamPrincipal(String teamId, boolean admin) {

    static TeamPrincipal ofTeam(String teamId) {
        return new TeamPrincipal(teamId, false);
    }

    static TeamPrincipal ofAdmin() {
        return new TeamPrincipal(null, true);
    }

    /** Whether this caller may see objects of {@code ownerTeam}. */
    public boolean canSee(String ownerTeam) {
        return admin || (teamId != null && teamId.equals(ownerTeam));
    }

    @Override
    public String toString() {
        return admin ? "admin" : "team " + teamId;
    }
}

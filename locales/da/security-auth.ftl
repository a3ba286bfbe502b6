# Password checks and their limits (passwords.rs, team/throttle.rs)
security-auth-busy = Der kontrolleres for mange logins lige nu. Prøv igen om et par sekunder.
security-auth-post-throttled = { $count ->
    [one] For mange forkerte adgangskoder. Vent et minut, før du prøver igen.
   *[other] For mange forkerte adgangskoder. Vent { $count } minutter, før du prøver igen.
}

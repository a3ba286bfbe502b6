## Console: exchange rates and backups (console/rates.rs, console/backups.rs)

console-nav-rates = Exchange rates
console-rates-intro = Gifts in another currency are counted towards a goal with the European Central Bank's reference rates (euros per unit, published each working day). Online gifts use the newest rates; an offline gift uses the rates of the day it was received.
console-rates-how-fetched = fetched
console-rates-how-uploaded = uploaded
console-rates-last-ok = Last update { $when }: { $how }, rates up to { $day }, { $stored } new.
console-rates-last-failed = The last update { $when } ({ $how }) failed: { $why }
console-rates-fetch-is-off = The daily fetch is off: an operator turns it on in the configuration file ([rates] fetch = true). Until then, upload the file below.
console-rates-fetch-is-on = The rates are fetched once a day from
console-rates-fetch-now = Fetch now
console-rates-fetch-off = The daily fetch is off in the configuration; upload the file instead.
console-rates-fetch-failed = The rates could not be fetched: { $why }
console-rates-import-heading = Import a rates file
console-rates-file = The ECB's rates file (XML)
console-rates-file-hint = The daily file (eurofxref-daily.xml), the last 90 days (eurofxref-hist-90d.xml) or the whole history (eurofxref-hist.xml). Days already imported stay as they are.
console-rates-import = Import
console-rates-no-file = Choose the rates file to import.
console-rates-not-ecb = This file is not the European Central Bank's rates file: { $why }
console-rates-done-days = { $count ->
    [one] One day read
   *[other] { $count } days read
}
console-rates-done-stored = { $count ->
    [one] one new rate stored.
   *[other] { $count } new rates stored.
}
console-rates-table-heading = Rates in use
console-rates-none = No rates yet: gifts can only be made in each campaign's own currency until rates are imported.
console-rates-newest = Newest rates from
console-rates-currency = Currency
console-rates-per-eur = Per euro
console-rates-day = Of the day
console-rates-old = not in the newest sheet

console-nav-backups = Backups
console-backups-intro = A backup is one archive of the whole site: every donation, post, member and setting, the uploaded pictures and the configuration file. They are written to the folder below on the schedule; copy them off this machine now and then (a backup on the same disk does not survive the disk).
console-backups-kb = { $n } kB
console-backups-mb = { $n } MB
console-backups-last-ok = Last backup { $when }: { $size }.
console-backups-last-failed = The last backup { $when } failed: { $why }
console-backups-now = Back up now
console-backups-now-failed = The backup could not be written: { $why }
console-backups-done-now = Backup written.
console-backups-done-schedule = Schedule saved.
console-backups-schedule-heading = Schedule
console-backups-from-console = Set here (this overrides the configuration file).
console-backups-from-config = From the configuration file ([backup]); saving here overrides it.
console-backups-every = Back up every (hours)
console-backups-every-hint = 24 is once a day; 0 turns scheduled backups off.
console-backups-every-invalid = Enter a whole number of hours, 0 to 8784.
console-backups-keep = Archives to keep
console-backups-keep-invalid = Enter a whole number from 1 to 1000.
console-backups-save = Save schedule
console-backups-fix = Please correct the fields marked below.
console-backups-archives-heading = Archives
console-backups-folder = Folder:
console-backups-none = No archives yet.
console-backups-secrets = The archives hold donors' details and the site's secrets (payment keys, mail password): keep downloaded copies where only the site's owners can read them.
console-backups-before-upgrade = before an upgrade (kept until deleted by hand)
console-backups-restore = To restore an archive, stop the site and run shelfraiser restore FILE into an empty data folder or database (see the deployment guide).

## Console: the site's logo and icon (console/site.rs)

site-logo-heading = Logo
site-logo-hint = Shown before the site's name at the top of every page. A wide picture works best; it is shown 32 pixels high.
site-icon-heading = Icon
site-icon-hint = What browsers show in tabs and bookmarks, and phones on the home screen: a square picture (cut to a square of 192 pixels).
site-picture-current = The picture now
site-picture-file = Choose a picture (PNG, JPEG, WebP or GIF)
site-picture-upload = Upload
site-picture-remove = Remove
site-picture-none = Choose a picture to upload.

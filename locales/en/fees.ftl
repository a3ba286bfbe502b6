# Processor fees, the ledger export (issue 12).
console-fees-heading = Gross, fees and net
console-fees-hint = Gross is what the campaign page shows as raised (donations less refunds and voids). Fees are what the payment providers kept, recorded for each donation once the provider reports them. Net is what reaches the account.
console-fees-gross = Gross
console-fees-fees = Fees
console-fees-net = Net
console-ledger-export = Download every ledger entry as CSV (donations, refunds, voids, fees)

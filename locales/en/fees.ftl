# Processor fees, the ledger export (issue 12).
console-fees-heading = Gross, fees and net
console-fees-hint = Gross is what the campaign page shows as raised (donations less refunds and voids). Fees are what the payment providers kept, recorded for each donation once the provider reports them. Net is what reaches the account.
console-fees-gross = Gross
console-fees-fees = Fees
console-fees-net = Net
console-ledger-export = Download every ledger entry as CSV (donations, refunds, voids, fees)
# The donate form's "cover the fees" box (never ticked for a fresh form), the thank-you page
# and the receipt.
donate-cover = Add the processing fee ({ $fee }) to my gift, so all of my gift reaches the campaign
donate-cover-fee = about { $percent }%
donate-cover-fee-fixed = about { $percent }% plus a small fixed amount
donate-cover-fee-varies = at most about { $percent }%, depending on how you pay
thanks-covered = That includes { $amount } you added to cover the processing fees. Thank you!
receipt-covered = Fees covered
receipt-covered-value = including { $amount } you added to cover the processing fees

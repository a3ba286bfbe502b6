# Grænser for Markdown-tekster (indlejring, størrelse, tabelbredde) og forhåndsvisningens tidsbudget.
content-error-too-large = Teksten er for stor til at blive offentliggjort: højst { $max } KiB.
content-error-too-deep = Linje { $line } indlejrer citater eller lister mere end { $max } niveauer dybt. Brug færre niveauer.
content-error-too-wide = Linje { $line } starter en tabel med mere end { $max } kolonner. Brug færre kolonner.
content-preview-too-slow = Forhåndsvisningen tog for lang tid. Gem teksten og prøv igen, eller gør den kortere.
content-preview-limited = En del af teksten vil ikke blive vist som skrevet:

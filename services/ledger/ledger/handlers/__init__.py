"""Ledger's service layer, one module per part of the register: `merchants` (register, survey
import, placing in grids), `grading` (一卡四色 from case events, recovery, cards), `frontage`
(storefront signs, responsibility letters), `catering` (purifiers, cleaning, inspection
rounds), `points` (designated points, the joint survey, stalls), `registers` (hardship
households, flyer numbers), `persuasions` (劝导 on the spot) and `figures` (what ledger tells
reporting). Commands commit their own unit of work; event handlers never do (the consumer owns
that transaction)."""

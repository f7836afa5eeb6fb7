"""The ledger's rules, pure Python with no framework (each a module, each rule one place):

- `colour`: 一卡四色, how a merchant's colour moves on violations and enforcement, and recovers
- `credit_code`: the 统一社会信用代码 and its GB 32100-2015 check character
- `merchant`: business natures, phone numbers, what a survey row must hold
- `letters`: 门前三包 responsibility letters: area, duties, validity and renewal
- `catering`: 基准灶头 size classes, the purifier efficiency GB 18483-2001 requires, cleaning
- `points`: 便民疏导点: kinds, the survey, the distance from school gates, stalls
- `flyers`: 小广告号码追呼: the states of a tracked number"""

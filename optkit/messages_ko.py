"""Korean catalogue of what optkit says: English message (the exact text passed to
optkit.i18n.tr) -> Korean. Plain data; importing it changes nothing.

Style: 합니다체, concise; code identifiers, dtypes and numbers stay as they are; terms as in
the course glossary (shared/glossary-ko.md). tests/test_i18n_messages.py checks that every
literal tr() message in optkit/ has an entry here and that the {fields} match.
"""

MESSAGES: dict[str, str] = {
    # optkit.timing.noise_note / optkit.bench helpers for a learner's copy
    "too noisy to tell here (IQR {a:.0%} and {b:.0%} of the median): run the cell again":
        "잡음이 커서 여기서는 판단할 수 없습니다 (IQR이 중앙값의 {a:.0%}, {b:.0%}): 셀을 다시 실행하세요",
    "no clear difference here": "여기서는 뚜렷한 차이가 없습니다",
    "WRONG · your {name} differs from the course's: {why}":
        "오답 · 여러분의 {name}이(가) 과정의 것과 다릅니다: {why}",
    "your {name} gives the course's result on this input":
        "여러분의 {name}은(는) 이 입력에서 과정의 것과 같은 결과를 냅니다",
    # optkit.check verdict labels (for check.py to pass through tr(); the statuses stored
    # in the verdict records stay English)
    "PASS": "통과",
    "WRONG": "오답",
    "ERROR": "오류",
    "TIMEOUT": "시간 초과",
    "TOO SLOW": "너무 느림",
    "NOT YET": "아직 작성 전",
    # optkit.check.same_int
    "expected the whole number {expected}, got {got!r} ({kind}): a count is an int (not a float "
    "such as 2.0, not True or False)":
        "정수 {expected}이(가) 나와야 하는데 {got!r}({kind})이(가) 나왔습니다: 개수는 int입니다 "
        "(2.0 같은 float도, True나 False도 안 됩니다)",
    # optkit.lineprof
    "{share:.0f}% of the time": "시간의 {share:.0f}%",
    "share of the function's time [%]": "함수 시간 중 비중 [%]",
    "Where {name}() spends its time (line_profiler; profiler overhead x{overhead:.1f})":
        "{name}()에서 시간이 쓰이는 곳 (line_profiler, 프로파일러 오버헤드 x{overhead:.1f})",
    # optkit.plot
    "red: slower than {than}": "빨간색: {than}보다 느림",
    "light grey: within the noise of {than}": "연회색: {than}과 잡음 범위 안에서 같음",
    "within noise": "잡음 범위 안",
    "the baseline": "기준",
    "baseline": "기준",
    "check": "채점 셀",
    "⚠ {kinds} measurements (a busy machine?): see .warnings() of the result":
        "⚠ 측정에 {kinds} 경고가 있습니다 (머신이 바쁜가요?): 결과의 .warnings()를 보세요",
    # the kinds of warning named in it (Comparison.warnings() prefixes), joined by " and "
    "noisy": "잡음",
    "waiting": "대기",
    "elsewhere": "다른 곳에서 실행",
    " and ": " 및 ",
    "the previous step": "이전 단계",
    # optkit.lessons.frameworks_first_csv.check_yours / scale_out.check_yours (06, 07: the
    # learner's copy of a function, checked before its time is shown)
    "it returned a {kind}, not a dict of columns": "dict(열 이름 → 배열)가 아니라 {kind}을(를) 반환했습니다",
    "column {col!r} is missing": "{col!r} 열이 없습니다",
    "your {name} differs from the course's parsers on the same file: {detail}. Fix it before "
    "its time counts (its time is not shown).":
        "여러분의 {name}의 결과가 같은 파일에 대한 강좌 파서의 결과와 다릅니다: {detail}. 시간을 "
        "재기 전에 먼저 고치세요 (시간은 보여 주지 않습니다).",
    "it returned a {kind}, not a list of arrays": "배열의 list가 아니라 {kind}을(를) 반환했습니다",
    "{n} results, expected {m} (one per page)": "결과가 {n}개인데, {m}개(페이지마다 하나)여야 합니다",
    "result {i} is the one of page {j}: keep the order of the input":
        "결과 {i}은(는) 페이지 {j}의 결과입니다: 입력의 순서를 지키세요",
    "result {i} differs from the single-process run's": "결과 {i}이(가) 단일 프로세스 실행의 결과와 다릅니다",
    "your {name} returned results that differ from the single-process run: {detail}. Fix it "
    "before its time counts (its time is not shown).":
        "여러분의 {name}이(가) 반환한 결과가 단일 프로세스 실행의 결과와 다릅니다: {detail}. "
        "시간을 재기 전에 먼저 고치세요 (시간은 보여 주지 않습니다).",
    # optkit.results: the HTML tables of Comparison and Sweep, and Comparison.warnings()
    # in the learner's language (the kind prefixes above stay first)
    "variant": "변형",
    "first call": "첫 호출",
    "best": "최소",
    "median": "중앙값",
    "loops × repeats": "루프 × 반복",
    "CPU use": "CPU 사용",
    "process CPU time / wall time while timing: 1.0 = one core busy; above 1 = several "
    "threads; well below 1 = the process waited":
        "측정 중 프로세스 CPU 시간 / 경과 시간: 1.0 = 코어 하나가 바쁨, 1보다 크면 여러 스레드, "
        "1보다 한참 작으면 프로세스가 기다린 것입니다",
    "speedup vs {baseline}": "{baseline} 대비 속도 향상",
    "Per-call times, variants timed in interleaved rounds. The first call (warm-up: "
    "compilation, caches) is shown on its own and is not part of best/median/IQR "
    "(inter-quartile range of the repeats).":
        "호출당 시간이며, 변형들을 번갈아 가며 여러 라운드로 측정했습니다. 첫 호출(워밍업: "
        "컴파일, 캐시)은 따로 보여 주며 최소/중앙값/IQR(반복 측정의 사분위 범위)에는 들어가지 "
        "않습니다.",
    "All thread counts of all variants timed in one set of interleaved rounds.":
        "모든 변형의 모든 스레드 수를 한 벌의 번갈아 도는 라운드에서 측정했습니다.",
    "median time per call ± IQR.": "호출당 시간의 중앙값 ± IQR.",
    "the spread (IQR) of {labels} exceeds {limit:.0%} of the median; re-run before drawing "
    "conclusions.":
        "{labels}의 퍼짐(IQR)이 중앙값의 {limit:.0%}를 넘습니다. 결론을 내리기 전에 다시 "
        "실행하세요.",
    "while timing {labels} this process (with any child processes) ran on a CPU for less than "
    "{limit:.0%} of the time while other programs kept the CPUs busy, so these times are "
    "inflated.":
        "{labels}을(를) 측정하는 동안 이 프로세스(자식 프로세스 포함)가 CPU에서 실행된 시간이 "
        "전체의 {limit:.0%}보다 적었고 다른 프로그램이 CPU를 차지하고 있었으므로, 이 시간은 "
        "부풀려져 있습니다.",
    "{labels} kept the CPU mostly idle with CUDA in use: the time is the GPU's (or waiting "
    "for it), not this CPU's.":
        "{labels}은(는) CUDA를 쓰는 동안 CPU를 거의 쉬게 두었습니다: 이 시간은 이 CPU가 아니라 "
        "GPU의 시간(또는 GPU를 기다린 시간)입니다.",
    "while timing {labels} this process ran on a CPU for less than {limit:.0%} of the time: "
    "other programs competed for the CPU (or the code sleeps / waits for I/O), so these "
    "times are inflated.":
        "{labels}을(를) 측정하는 동안 이 프로세스가 CPU에서 실행된 시간이 전체의 {limit:.0%}보다 "
        "적었습니다: 다른 프로그램이 CPU를 두고 경쟁했으므로(또는 코드가 잠들거나 I/O를 "
        "기다렸으므로) 이 시간은 부풀려져 있습니다.",
    "{label} ({cores:.1f} cores)": "{label}(코어 {cores:.1f}개)",
    "most CPU time of {labels} was spent in child processes (workers); CPU use counts them.":
        "{labels}의 CPU 시간 대부분은 자식 프로세스(워커)에서 쓰였습니다. CPU 사용에는 이것도 "
        "포함됩니다.",
    "speedup vs {baseline} (higher is better)": "{baseline} 대비 속도 향상 (높을수록 좋음)",
    "Speedup over the baseline (median time per call)": "기준 대비 속도 향상 (호출당 시간의 중앙값)",
    "input size n": "입력 크기 n",
    "median time per call": "호출당 시간의 중앙값",
    "throughput [{unit} / s]": "처리량 [{unit} / s]",
    "Time vs input size": "입력 크기에 따른 시간",
    "Throughput vs input size": "입력 크기에 따른 처리량",
    "ideal (y = x)": "이상적인 값 (y = x)",
    " usable CPUs = {usable}: more threads only compete": " 사용 가능한 CPU = {usable}: 이보다 스레드를 늘리면 서로 경쟁할 뿐입니다",
    "threads": "스레드 수",
    "Thread scaling (labels: parallel efficiency = speedup / threads)":
        "스레드 확장성 (라벨: 병렬 효율 = 속도 향상 / 스레드 수)",
    "speedup vs {n} thread": "스레드 {n}개 대비 속도 향상",
    "speedup vs {n} threads": "스레드 {n}개 대비 속도 향상",
    " usable CPUs = {usable}: more workers only compete": " 사용 가능한 CPU = {usable}: 이보다 워커를 늘리면 서로 경쟁할 뿐입니다",
    "workers": "워커 수",
    "Worker scaling (labels: parallel efficiency = speedup / workers)":
        "워커 확장성 (라벨: 병렬 효율 = 속도 향상 / 워커 수)",
    "speedup vs {n} worker": "워커 {n}개 대비 속도 향상",
    "speedup vs {n} workers": "워커 {n}개 대비 속도 향상",
    "cumulative speedup vs {first}": "{first} 대비 누적 속도 향상",
    "Optimisation ladder (cumulative speedup per step)": "최적화 사다리 (단계별 누적 속도 향상)",
    # optkit.check: verdicts (the statuses stored in the records stay English)
    "median per call: ": "호출당 시간의 중앙값: ",
    "yours": "내 함수",
    "reference": "참조 구현",
    "{dtype} array of shape {shape}": "{dtype} 배열, shape {shape}",
    "{kind} {dtype} of shape {shape}": "{kind} {dtype}, shape {shape}",
    "{kind} of {n} items": "항목 {n}개짜리 {kind}",
    "no arguments": "인자 없음",
    "argument {i}": "인자 {i}",
    "; the values are close, only not close enough: do you compute in float32 where the reference "
    "uses float64 (or the other way round), or in a different order?":
        "; 값이 가깝기는 하지만 충분히 가깝지는 않습니다: 참조 구현이 float64로 계산하는 곳을 float32로 "
        "계산하고 있지 않나요(또는 그 반대)? 아니면 계산 순서가 다른가요?",
    "; the items are right but in a different order (item {i}, {kind}, is the one expected at "
    "{j}): keep the order of the input":
        "; 항목은 맞지만 순서가 다릅니다 (항목 {i}({kind})은(는) {j} 자리에 와야 할 항목입니다): "
        "입력의 순서를 지키세요",
    "it is not a parallel Numba function: the task asks for `@njit(parallel=True)` with a `prange` "
    "loop that splits the work between threads":
        "병렬 Numba 함수가 아닙니다: 이 과제는 작업을 스레드에 나누는 `prange` 루프가 있는 "
        "`@njit(parallel=True)` 함수를 요구합니다",
    "it has no `prange` loop: the task asks for the work split between threads with "
    "`for ... in prange(...)` (numba's prange) under `@njit(parallel=True)`":
        "`prange` 루프가 없습니다: 이 과제는 `@njit(parallel=True)` 아래에서 "
        "`for ... in prange(...)`(numba의 prange)로 작업을 스레드에 나누기를 요구합니다",
    # F37: a token prange loop is refused (03 Exercise 2, E29 1)
    "the loop `{line}` has fewer than two iterations, so one thread does all the work: the task "
    "asks for a `prange` loop over the rows (or over several chunks of them), which the threads share":
        "루프 `{line}`은(는) 반복이 두 번보다 적어서 스레드 하나가 모든 일을 합니다: 이 과제는 "
        "스레드들이 나눠 맡는, 행(또는 행을 나눈 여러 청크)에 대한 `prange` 루프를 요구합니다",
    "`{line}` reads `{name}` (the input `{arg}`, or an array made from it) outside every `prange` "
    "loop: the task asks for the loop that reads the input to be a `prange` loop, its iterations "
    "shared by the threads (the rule refuses a whole-array expression of the input outside it too, "
    "such as `mask != 0`, although parallel=True may run that one on several threads: read the "
    "input inside the loop)":
        "`{line}`은(는) 어떤 `prange` 루프에도 속하지 않은 곳에서 `{name}`(입력 `{arg}` 또는 그것으로 "
        "만든 배열)을 읽습니다: 이 과제는 입력을 읽는 루프가 `prange` 루프여서 그 반복을 스레드들이 "
        "나눠 맡기를 요구합니다(`mask != 0`처럼 루프 밖에서 입력 전체에 쓰는 배열 식도 거부합니다. "
        "parallel=True가 그런 식을 여러 스레드에서 실행할 수는 있지만, 입력은 루프 안에서 읽으세요)",
    # F37: 03 Exercise 1's Cython source is read (E29 2)
    "`{name}` has no `for` or `while` loop in its Cython source: a NumPy expression typed into the "
    "Cython cell runs NumPy's code, not a loop of yours; the task is the reference's loop, typed so "
    "that Cython turns it into C":
        "`{name}`의 Cython 소스에는 `for`나 `while` 루프가 없습니다: Cython 셀에 쓴 NumPy 식은 "
        "여러분의 루프가 아니라 NumPy의 코드를 실행합니다. 이 과제는 참조 구현의 루프에 타입을 붙여 "
        "Cython이 C로 옮기게 하는 것입니다",
    "`{name}` has no C types in its Cython source (no `cdef` declaration, no typed memoryview "
    "argument), so every line still works on Python objects: type the mask as a memoryview (`cdef "
    "const unsigned char[:, ::1] m = mask`) and the counters as C integers (`cdef int n`)":
        "`{name}`의 Cython 소스에는 C 타입이 없어서(`cdef` 선언도, 타입 지정 메모리뷰 인자도 없음) "
        "모든 줄이 여전히 Python 객체로 동작합니다: 마스크는 메모리뷰(`cdef const unsigned char[:, ::1] "
        "m = mask`)로, 카운터는 C 정수(`cdef int n`)로 타입을 지정하세요",
    # F18: the method a task states, enforced (03 Exercise 3, 02 Exercise C)
    "it is not a Numba function: the task asks for a Numba version, the function itself compiled "
    "with `@njit` (keep the decorator of the exercise's cell; a plain `def` around a Numba "
    "function, @vectorize and @guvectorize are refused too)":
        "Numba 함수가 아닙니다: 이 과제는 Numba 버전, 즉 함수 자체를 `@njit`로 컴파일한 것을 요구합니다 "
        "(연습 문제 셀의 데코레이터를 그대로 두세요. Numba 함수를 감싼 일반 `def`, @vectorize, "
        "@guvectorize도 거부됩니다)",
    "it runs in Numba's object mode (`forceobj=True`, `nopython=False` or a `with objmode(...)` "
    "block), which runs Python code: the task asks for a function compiled with `@njit` in "
    "nopython mode":
        "Numba의 객체 모드(object mode)로 실행됩니다 (`forceobj=True`, `nopython=False` 또는 "
        "`with objmode(...)` 블록). 객체 모드는 Python 코드를 실행합니다: 이 과제는 `@njit`로 "
        "nopython 모드에서 컴파일한 함수를 요구합니다",
    "it runs Python code once per time step ({n:.0f} more Python instructions per added step): the "
    "task asks for whole-array work over the time steps (argmax and the masks for all steps at "
    "once); a loop over boxes is fine":
        "타임스텝마다 한 번씩 Python 코드를 실행합니다(추가한 스텝 하나에 Python 명령어가 {n:.0f}개 더 "
        "실행됨): 이 과제는 타임스텝 전체에 걸친 배열 연산(모든 스텝에 대한 argmax와 마스크를 한 번에)을 "
        "요구합니다. 박스에 대한 루프는 괜찮습니다",
    " (every thread is counted here: if another thread of yours was busy during the call, check again "
    "while it is idle)":
        " (여기서는 모든 스레드를 셉니다: 호출 동안 여러분의 다른 스레드가 바빴다면, 그 스레드가 쉴 때 "
        "다시 검사하세요)",
    # F23, F29: 02 Exercise C's rule, a busy thread that ran already (untraced before 3.12)
    "another thread that was already running spent {cpu} of CPU during one call: the rule cannot "
    "count all the Python instructions of such a thread (not the code it was already running when "
    "the call began) nor tell whether it did your function's work; decode in the calling thread, "
    "with whole-array work over the time steps, and check while no other thread of yours is busy":
        "이미 실행 중이던 다른 스레드가 한 번 호출하는 동안 CPU {cpu}를 썼습니다. 규칙은 그런 스레드의 "
        "Python 명령어를 다 셀 수 없고(호출이 시작될 때 이미 실행하던 코드는 세지 못합니다), 그 스레드가 "
        "여러분 함수의 일을 했는지도 알 수 없습니다. 호출한 스레드에서, 타임스텝 전체에 걸친 배열 연산으로 "
        "디코딩하고, 여러분의 다른 스레드가 바쁘지 않을 때 채점하세요",
    "it runs Python code once per run of equal time steps ({n:.0f} more Python instructions per "
    "added run: a blank step put between two different letters, the same strings): collapsing "
    "repeats first and then looping over the steps that are left is still a loop over time steps; "
    "do the masks, the lookup and the split with whole-array operations (a loop over boxes or over "
    "the kept characters is fine)":
        "같은 값이 이어지는 타임스텝 구간(run)마다 한 번씩 Python 코드를 실행합니다(서로 다른 두 글자 "
        "사이에 blank 스텝을 하나 넣어 문자열은 그대로 두고 구간만 늘렸더니, 늘어난 구간 하나에 Python "
        "명령어가 {n:.0f}개 더 실행됨): 반복을 먼저 합친 다음 남은 스텝을 도는 것도 타임스텝을 도는 "
        "루프입니다. 마스크, 문자 변환, 박스별 분할을 배열 연산으로 하세요(박스나 남긴 문자를 도는 "
        "루프는 괜찮습니다)",
    # optkit.pywork: a rule call given up on (stuck in C)
    " (the rule's count of Python instructions was switched off; the stopped call's own thread "
    "keeps an idle tracer until the call returns from C)":
        " (규칙의 Python 명령어 세기는 꺼졌습니다. 멈추지 못한 호출의 스레드에는 그 호출이 C에서 "
        "돌아올 때까지 아무것도 세지 않는 트레이서가 남습니다)",
    "the check cannot tell that this write is private to one thread: in the prange loop over "
    "`{var}`, `{line}` writes `{array}` at an index that has neither `{var}` itself (or a "
    "plain copy of it, such as `{copy} = {var}`) nor a `numba.get_thread_id()` taken in the loop as one "
    "of its elements, so different threads may write the same element (a data race?): give each "
    "thread its own memory, indexed by `{var}` itself as one index (a new array `{a}`, "
    "`{a}[{var}, {k}]`) or by the thread id; a flat index such as `{a}[{var} * {n} + {k}]` "
    "is not read as private":
        "이 쓰기가 한 스레드만의 것인지 검사가 알 수 없습니다: `{var}`에 대한 prange 루프에서 "
        "`{line}`은 `{var}` 자체(또는 그것을 그대로 받은 이름, 예를 들어 `{copy} = {var}`)도, 루프 안에서 얻은 "
        "`numba.get_thread_id()`도 원소로 갖지 않는 인덱스로 `{array}`에 쓰므로, 여러 스레드가 같은 "
        "원소에 쓸 수 있습니다 (데이터 경쟁(data race)?): 스레드마다 자기 메모리를 주고, `{var}` 자체를 "
        "인덱스 하나로 (새 배열 `{a}`의 `{a}[{var}, {k}]`) 쓰거나 스레드 ID로 인덱싱하세요. `{a}[{var} * {n} + {k}]` 같은 평평한 "
        "인덱스는 스레드 전용으로 읽히지 않습니다",
    "the check cannot tell that this call writes only memory of one thread: in the prange "
    "loop over `{var}`, `{line}` passes `{array}` to `{helper}`, which may write into it, so "
    "different threads may write the same element (a data race?): pass only memory of this "
    "iteration (a row indexed by `{var}` itself, or an array made in the loop), or write the "
    "update in the loop body, where the check reads its index":
        "이 호출이 한 스레드만의 메모리에 쓰는지 검사가 알 수 없습니다: `{var}`에 대한 prange 루프에서 "
        "`{line}`은 `{array}`를 `{helper}`에 넘기고, `{helper}`는 거기에 쓸 수 있으므로 여러 스레드가 같은 "
        "원소에 쓸 수 있습니다 (데이터 경쟁(data race)?): 이 반복만의 메모리(`{var}` 자체로 인덱싱한 행, 또는 "
        "루프 안에서 만든 배열)만 넘기거나, 갱신을 루프 본문에 직접 쓰세요. 루프 본문의 쓰기는 검사가 "
        "인덱스를 읽습니다",
    "in the prange loop over `{var}`, `{line}` writes `{array}` at an index that uses "
    "`{name}`, but `{name}` is assigned again inside the loop, so it is no longer this "
    "iteration's own index and different threads may write the same element (a data "
    "race?): leave the loop variable as it is and give any other value another name":
        "`{var}`에 대한 prange 루프에서 `{line}`은 `{name}`을 쓰는 인덱스로 `{array}`에 쓰는데, "
        "`{name}`은 루프 안에서 다시 대입되므로 더 이상 이 반복만의 인덱스가 아니고, 여러 스레드가 같은 "
        "원소에 쓸 수 있습니다 (데이터 경쟁(data race)?): 루프 변수는 그대로 두고, 다른 값에는 다른 "
        "이름을 붙이세요",
    # optkit.check: what the timed calls showed (optkit.timingcheck), and the Numba
    # compile made before the budgeted calls (optkit.guard.compile_for)
    "the timing did not call your function (was optkit.bench changed?)":
        "시간 측정이 여러분의 함수를 호출하지 않았습니다 (optkit.bench가 바뀌었나요?)",
    "your function returned the very same array object on repeated calls: each call must compute "
    "its result (no cache of earlier results)":
        "여러분의 함수가 반복 호출에서 똑같은 배열 객체를 반환했습니다: 호출마다 결과를 계산해야 "
        "합니다 (이전 결과를 캐시하지 마세요)",
    "checking the timed calls": "시간을 잰 호출의 결과를 확인하는 중",
    "correct during the checks, but a timed call on the same input gave a different result (a data "
    "race, or state kept between calls?): {exc}; make sure no two threads write the same memory "
    "and that a call keeps nothing for the next one":
        "검사할 때는 맞았지만, 같은 입력에 대한 시간 측정 호출이 다른 결과를 냈습니다 (데이터 "
        "경쟁(data race)일까요, 아니면 호출 사이에 남겨 둔 상태일까요?): {exc}; 두 스레드가 같은 "
        "메모리에 쓰지 않는지, 한 호출이 다음 호출을 위해 아무것도 남기지 않는지 확인하세요",
    "correct during the checks, but wrong while timed (last timed call): {exc}":
        "검사할 때는 맞았지만, 시간을 재는 동안에는 틀렸습니다 (마지막으로 잰 호출): {exc}",
    # optkit.timingcheck.seen_only: the speed looked at again on inputs the check never used
    "correct on the check's inputs, but wrong on an input it had not used: {exc}":
        "검사한 입력에서는 맞았지만, 검사에 쓰지 않은 새 입력에서는 틀렸습니다: {exc}",
    "correct, but fast only on inputs it has already seen (a cache of earlier results?): timed on "
    "the check's own input, {yours} per call ({speedup} vs the {base}); on {n} inputs the check had "
    "not used, {fresh} or more per call ({fresh_speedup}); the target is {target}. Each call must "
    "compute its result":
        "정답이지만, 이미 본 입력에서만 빠릅니다 (이전 결과의 캐시일까요?): 검사 자신의 입력에서 잰 "
        "시간은 호출당 {yours} ({base} 대비 {speedup})이지만, 검사에 쓰지 않은 새 입력 {n}개에서는 "
        "호출당 {fresh} 이상 ({fresh_speedup})입니다. 목표는 {target}입니다. 호출마다 결과를 계산해야 "
        "합니다",
    "an input the check had not used ({args})": "검사에 쓰지 않은 새 입력 ({args})",
    "an earlier compile still runs (a Numba compile given up on keeps Numba's compiler lock, so no "
    "new compile can start): restart the kernel, then check again":
        "앞선 컴파일이 아직 실행 중입니다 (중단을 포기한 Numba 컴파일이 Numba의 컴파일러 잠금을 쥐고 "
        "있어 새 컴파일을 시작할 수 없습니다): 커널을 재시작한 뒤 다시 검사하세요",
    "compiling your Numba function did not end within {s:g} s (its own limit; the time budget counts "
    "only your calls)":
        "여러분의 Numba 함수 컴파일이 {s:g}초 안에 끝나지 않았습니다 (컴파일 자체의 제한입니다. "
        "시간 예산은 여러분의 호출만 셉니다)",
    ". The compile could not be stopped and keeps Numba's compiler lock: restart the kernel":
        ". 이 컴파일은 멈출 수 없었고 Numba의 컴파일러 잠금을 계속 쥐고 있습니다: 커널을 재시작하세요",
    # optkit.poolrule.pool_chunks_rule (07 Exercise A)
    "the pool got no work: the task asks you to send the {n} items to the given pool's workers in "
    "chunks (`pool.map(..., chunksize=...)`), not to compute them in this process":
        "풀이 받은 일이 없습니다: 이 과제는 {n}개 항목을 이 프로세스에서 계산하지 말고, 주어진 풀의 "
        "워커에 청크로(`pool.map(..., chunksize=...)`) 보내기를 요구합니다",
    "{k} of the {m} results you returned did not come from the pool (item {i}, for one): return "
    "the objects that the given pool's `map` (or `get()`) hands back, computed by its workers, not "
    "values computed in this process or copies":
        "반환한 결과 {m}개 중 {k}개가 풀에서 온 것이 아닙니다 (예: {i}번 항목): 이 프로세스에서 "
        "계산한 값이나 사본이 아니라, 주어진 풀의 `map`(또는 `get()`)이 돌려준 객체, 곧 풀의 워커가 "
        "계산한 결과를 그대로 반환하세요",
    "{k} of the {m} results you returned changed after the pool returned it (item {i}, for one): "
    "computed here and written into an object the pool handed back, not by its workers; return the "
    "pool's results as its workers computed them":
        "반환한 결과 {m}개 중 {k}개가 풀이 돌려준 뒤에 바뀌었습니다 (예: {i}번 항목): 풀의 워커가 아니라 "
        "여기서 계산해 풀이 돌려준 객체에 써넣은 값입니다. 풀의 결과를 워커가 계산한 그대로 반환하세요",
    "{k} of the results were sent to the pool as arguments and came back unchanged (item {i}, for "
    "one): they were computed in this process; send the items, and let the workers compute":
        "결과 중 {k}개는 인수로 풀에 보냈다가 그대로 돌아온 것입니다 (예: {i}번 항목): 이 "
        "프로세스에서 계산한 값입니다. 항목을 보내고 계산은 워커에게 맡기세요",
    "your results came from {tasks} task(s), for {n} items and a pool of {w} workers: split the "
    "items into at least {least} chunks, so that every worker gets some":
        "결과가 태스크 {tasks}개에서 나왔습니다. 항목은 {n}개, 풀의 워커는 {w}개입니다: 모든 워커가 "
        "일을 받도록 항목을 적어도 {least}개의 청크로 나누세요",
    "this pool is still watched by an earlier check whose call never ended (given up on as stuck): "
    "restart the kernel, then run the notebook's cells again":
        "이 풀은 아직 끝나지 않은(멈춘 것으로 보고 포기한) 이전 채점의 호출이 감시하고 있습니다: "
        "커널을 재시작한 뒤 노트북의 셀을 다시 실행하세요",
    "the pool got {tasks} tasks for {n} items, about one round trip per item: send them in chunks "
    "(`pool.map(f, items, chunksize=...)` with a chunksize above 1, or lists of items), so that each "
    "task carries several":
        "풀이 항목 {n}개에 태스크 {tasks}개를 받았습니다. 항목마다 왕복 한 번꼴입니다: 청크로 "
        "보내서(`pool.map(f, items, chunksize=...)`에 1보다 큰 chunksize를 주거나, 항목의 리스트를 "
        "보내서) 태스크 하나가 여러 항목을 나르게 하세요",
    "the exercise's reference": "연습 문제의 참조 구현",
    "the exercise's baseline": "연습 문제의 기준 구현",
    "a ready-made version of what the exercise asks": "연습 문제가 요구하는 계산의 기성 구현",
    "the check itself failed: {kind}: {exc}": "채점 자체가 실패했습니다: {kind}: {exc}",
    "input {k} of {n} ({args})": "입력 {k}/{n} ({args})",
    "its one call, with no arguments": "인자 없는 단 한 번의 호출",
    "the input where {label} ({args})": "입력 '{label}' ({args})",
    "no result within the time budget of {budget} s ({where}); look for a loop that never ends or "
    "a much too slow approach":
        "시간 예산 {budget}초 안에 결과가 나오지 않았습니다 ({where}): 끝나지 않는 루프나 "
        "지나치게 느린 방식이 없는지 살펴보세요",
    ". The call could not be stopped (it is inside C code, or catches every exception) and keeps "
    "running in the background; restart the kernel if the notebook slows down":
        ". 이 호출은 멈출 수 없어(C 코드 안에 있거나 모든 예외를 잡습니다) 백그라운드에서 계속 "
        "실행됩니다. 노트북이 느려지면 커널을 재시작하세요",
    "not implemented yet: replace the `raise NotImplementedError` with your code":
        "아직 구현하지 않았습니다: `raise NotImplementedError`를 직접 작성한 코드로 바꾸세요",
    "⚠ {kinds} timing (a busy machine?): the factor shown may be off; run the check again":
        "⚠ 시간 측정에 {kinds} 경고가 있습니다 (머신이 바쁜가요?): 표시된 배율이 정확하지 않을 수 "
        "있으니 채점 셀을 다시 실행하세요",
    "not implemented yet: replace the `PyErr_SetString(PyExc_NotImplementedError, ...); "
    "return NULL;` lines with your code":
        "아직 구현하지 않았습니다: `PyErr_SetString(PyExc_NotImplementedError, ...); "
        "return NULL;` 줄을 직접 작성한 코드로 바꾸세요",
    "your function raised {kind}: {exc} (on {where})": "함수에서 {kind} 예외가 발생했습니다: {exc} ({where})",
    "expected a function, got {kind}": "함수가 필요한데 {kind}을(를) 받았습니다",
    "{problem} (on {where})": "{problem} ({where})",
    "returned None": "None을 반환했습니다",
    "returned a new object": "새 객체를 반환했습니다",
    "the task says to write the result into `{out}` and return it; your function {what} (on {where})":
        "과제는 결과를 `{out}`에 써서 그 `{out}`을 반환하라고 합니다. 작성한 함수는 {what} ({where})",
    "wrong result on {where}: {exc}; and {rule}": "{where}에서 결과가 틀렸습니다: {exc}. 또한 {rule}",
    "wrong result on {where}: {exc}": "{where}에서 결과가 틀렸습니다: {exc}",
    "checking the task's rules": "과제의 규칙을 확인하는 중",
    "correct values, but {rule}": "값은 맞지만, {rule}",
    "the function you passed is {name} ({why}) itself: the exercise asks you to write that computation yourself":
        "넘긴 함수가 {name}({why}) 그 자체입니다: 이 연습 문제는 그 계산을 직접 작성하도록 요구합니다",
    "your function calls {names}: the exercise asks you to write that computation yourself":
        "함수가 {names}을(를) 호출합니다: 이 연습 문제는 그 계산을 직접 작성하도록 요구합니다",
    " (note: {n} earlier call(s), given up on before this one, still run in the background and compete "
    "for the CPU; restart the kernel and check again if this function should be quick)":
        " (참고: 이번 호출보다 먼저 포기한 호출 {n}개가 아직 백그라운드에서 실행되며 CPU를 두고 "
        "경쟁합니다. 이 함수가 빨라야 한다면 커널을 다시 시작한 뒤 다시 확인하세요)",
    "your function changed its input `{name}` ({exc}); the task expects the inputs unchanged: work on "
    "a copy or write the result into a new array":
        "함수가 입력 `{name}`을(를) 바꿨습니다 ({exc}). 과제는 입력이 바뀌지 않기를 요구합니다: "
        "복사본으로 작업하거나 결과를 새 배열에 쓰세요",
    " or ": " 또는 ",
    "on {label} your function returned {value}; the task says it must refuse that input with {want}":
        "'{label}'에 대해 함수가 {value}을(를) 반환했습니다. 과제는 이 입력을 {want}(으)로 거부해야 한다고 합니다",
    " (SystemError means a C function returned NULL without setting an exception, or returned a "
    "result while an exception was set: check every error path)":
        " (SystemError는 C 함수가 예외를 설정하지 않고 NULL을 반환했거나, 예외가 설정된 상태로 "
        "결과를 반환했다는 뜻입니다: 모든 오류 경로를 확인하세요)",
    "on {label} your function raised {kind}: {exc}; the task says it must raise {want}":
        "'{label}'에 대해 함수에서 {kind} 예외가 발생했습니다: {exc}. 과제는 {want} 예외를 발생시켜야 "
        "한다고 합니다",
    "on a larger input ({args}) your function raised {kind}":
        "더 큰 입력({args})에서 함수에서 {kind} 예외가 발생했습니다",
    "on a larger input ({args}) your function ran out of time":
        "더 큰 입력({args})에서 함수가 시간을 초과했습니다",
    "different results on identical input: a data race? Two runs on {args} disagree ({exc}); make "
    "sure no two threads write the same memory":
        "같은 입력에 다른 결과가 나옵니다: 데이터 경쟁(data race)일까요? {args}에서 두 번 실행한 "
        "결과가 서로 다릅니다 ({exc}). 두 스레드가 같은 메모리에 쓰지 않도록 하세요",
    "wrong result on a larger input ({args}): {exc}": "더 큰 입력({args})에서 결과가 틀렸습니다: {exc}",
    "the output does not match the reference (custom comparison)":
        "출력이 참조 구현과 일치하지 않습니다 (사용자 정의 비교)",
    "your function returned None: is a `return` missing?": "함수가 None을 반환했습니다: `return`이 빠지지 않았나요?",
    "expected a NumPy array (ndarray), got {kind}": "NumPy 배열(ndarray)이어야 하는데 {kind}이(가) 반환되었습니다",
    "correct on {n} inputs": "입력 {n}개 모두 정답입니다",
    "correct on {n} input": "입력 {n}개에서 정답입니다",
    "correct, but one call takes {call}: timing it (about four calls) does not fit in what is left of "
    "the {budget} s time budget; the target is {target} vs the {base}":
        "정답이지만 한 번 호출에 {call}이 걸립니다: 시간을 재려면(약 네 번 호출) {budget}초의 시간 "
        "예산 중 남은 시간으로는 부족합니다. 목표는 {base} 대비 {target}입니다",
    "in the prange loop over `{var}`, `{line}` changes all of `{array}`, which is `{value}`: memory made outside "
    "the loop, which other threads may change too (a data race?): give each thread its own memory, a row indexed "
    "by `{var}` itself (or by a `numba.get_thread_id()` taken in the loop)":
        "`{var}`에 대한 prange 루프에서 `{line}`은 `{array}` 전체를 바꿉니다. `{array}`는 `{value}`, 즉 루프 밖에서 "
        "만든 메모리라서 다른 스레드도 바꿀 수 있습니다(데이터 레이스(data race)?). 스레드마다 자기 메모리를 주세요: "
        "`{var}` 자체(또는 루프 안에서 얻은 `numba.get_thread_id()`)로 인덱싱한 행",
    "correct, but one call takes {call}: not timed (about four calls do not fit in what is left of the "
    "{budget} s time budget)":
        "정답이지만 한 번 호출에 {call}이 걸립니다: 시간은 재지 않았습니다({budget}초의 시간 예산 중 남은 "
        "시간으로는 약 네 번의 호출이 들어가지 않습니다)",
    "correct, but timing it failed: {kind}: {exc}": "정답이지만 시간 측정에 실패했습니다: {kind}: {exc}",
    "; the reference solution reaches {speedup}": "; 참조 솔루션은 {speedup}에 도달합니다",
    "; {name} reaches {speedup}": "; {name}은(는) {speedup}에 도달합니다",
    "correct; {speedup} vs the {base} ({yours} per call)": "정답입니다. {base} 대비 {speedup} (호출당 {yours})",
    "correct and fast: {speedup} vs the {base}, target {target} ({yours} per call)":
        "정답이고 충분히 빠릅니다: {base} 대비 {speedup}, 목표 {target} (호출당 {yours})",
    "{item} {k} differs from {ref} on every run ({n} runs on {args}): "
    "is every {item} computed? (or do two threads write it: a data race?)":
        "{item} {k}이(가) 매번({args}에서 {n}번 실행) {ref}와 다릅니다. "
        "모든 {item}을(를) 계산하나요? (아니면 두 스레드가 같은 곳에 쓰나요: 데이터 레이스?)",
    "item": "항목",
    "box": "박스",
    "correct, within the target: {speedup} vs the {base}, target {target} ({yours} per call)":
        "정답이고 목표 안에 듭니다: {base} 대비 {speedup}, 목표 {target} (호출당 {yours})",
    "correct, but {speedup} vs the {base}; target {target}": "정답이지만 {base} 대비 {speedup}입니다. 목표는 {target}입니다",
    "not confirmed: {speedup} vs the {base}, target {target}, but measured twice on a flagged "
    "timing, and within the noise margin (x{ratio:g}) of the target: run the check again":
        "확인되지 않음: {base} 대비 {speedup}, 목표 {target}이지만, 두 번 측정한 시간 모두에 경고가 "
        "붙었고 목표와의 차이가 잡음 범위(x{ratio:g}) 안입니다: 채점 셀을 다시 실행하세요",
    "the last compile of `{module}` failed, so there is no new version to check: fix the compile error "
    "shown under the C cell and run that cell again":
        "`{module}`의 마지막 컴파일이 실패해서 확인할 새 버전이 없습니다: C 셀 아래에 표시된 컴파일 "
        "오류를 고친 뒤 그 셀을 다시 실행하세요",
    # optkit.doctor: problems and advice
    "{n} usable CPU": "사용 가능한 CPU {n}개",
    "{n} usable CPUs": "사용 가능한 CPU {n}개",
    # optkit.context: the "Measured on" footer under bench tables; optkit.annotate: the note
    # under a Cython annotation
    "Measured on: {machine}": "측정 환경: {machine}",
    " ({n} thread per core)": " (코어당 스레드 {n}개)",
    " ({n} threads per core)": " (코어당 스레드 {n}개)",
    "governor {governor}": "CPU 거버너 {governor}",
    "(unchanged cell: reused the compiled module)": "(바뀌지 않은 셀: 컴파일해 둔 모듈을 다시 사용함)",
    "cgroup CPU quota {error}": "cgroup CPU 제한량: {error}",
    "check the container's --cpus setting; the usable count falls back to affinity and loky":
        "컨테이너의 --cpus 설정을 확인하세요. 사용 가능한 CPU 수는 affinity와 loky 값으로 대신 정합니다",
    "os.cpu_count() says {count} but only {n} are usable (affinity/quota)":
        "os.cpu_count()는 {count}개라고 하지만 실제로 사용할 수 있는 것은 {n}개뿐입니다 (affinity/제한량)",
    "size thread pools and worker counts from {n}, not os.cpu_count()":
        "스레드 풀과 워커 수는 os.cpu_count()가 아니라 {n}을 기준으로 정하세요",
    "{var}={value} is not a number": "{var}={value}는 숫자가 아닙니다",
    "{var}={k} is more than the {cpus}": "{var}={k}는 {cpus}보다 많습니다",
    "export {var}={n} (or less when you run several worker processes)":
        "export {var}={n} (워커 프로세스를 여러 개 돌린다면 더 적게)",
    "{var}={k} is not a valid thread count": "{var}={k}는 올바른 스레드 수가 아닙니다",
    "cv2.setNumThreads({n}) (any time, in every process)": "cv2.setNumThreads({n}) (언제든, 모든 프로세스에서)",
    "export NUMBA_NUM_THREADS={n} before Python starts (Numba reads it at import), or "
    "numba.set_num_threads({n}) at run time":
        "Python을 시작하기 전에 export NUMBA_NUM_THREADS={n} (Numba는 import할 때 읽습니다), "
        "또는 실행 중에 numba.set_num_threads({n})",
    "torch.set_num_threads({n}) (any time, in every process)": "torch.set_num_threads({n}) (언제든, 모든 프로세스에서)",
    "{lib} runs {v} threads on {cpus} (oversubscribed)":
        "{lib}가 {cpus}에서 스레드 {v}개를 씁니다 (오버서브스크립션)",
    "{name} pool has {k} threads on {cpus} (oversubscribed)":
        "{name} 풀이 {cpus}에서 스레드 {k}개를 가집니다 (오버서브스크립션)",
    "export OMP_NUM_THREADS={n} OPENBLAS_NUM_THREADS={n} before Python starts, or threadpool_limits({n})":
        "Python을 시작하기 전에 export OMP_NUM_THREADS={n} OPENBLAS_NUM_THREADS={n}, "
        "또는 threadpool_limits({n})",
    "{count} OpenMP runtimes are loaded ({files})": "OpenMP 런타임이 {count}개 로드되어 있습니다 ({files})",
    "each has its own pool: cap them all (OMP_NUM_THREADS or threadpool_limits), and avoid running "
    "them at the same time":
        "런타임마다 자기 풀이 있습니다: 모두 제한하고(OMP_NUM_THREADS 또는 threadpool_limits) "
        "동시에 돌리지 마세요",
    "all pools together could start {total} threads on {cpus}":
        "모든 풀을 합치면 {cpus}에서 스레드를 {total}개까지 띄울 수 있습니다",
    "fine while only one library runs at a time; nested or concurrent pools oversubscribe":
        "한 번에 한 라이브러리만 돌 때는 괜찮습니다. 풀이 중첩되거나 동시에 돌면 오버서브스크립션이 됩니다",
    "no working C compiler ({detail})": "동작하는 C 컴파일러가 없습니다 ({detail})",
    "install one: apt install build-essential / xcode-select --install / MSVC Build Tools":
        "컴파일러를 설치하세요: apt install build-essential / xcode-select --install / MSVC Build Tools",
    "the C compiler has no working OpenMP ({detail})": "C 컴파일러에서 OpenMP가 동작하지 않습니다 ({detail})",
    "install OpenMP (apt install libgomp1 / brew install libomp, then CPPFLAGS/LDFLAGS set as in "
    "README); parallel lessons run serially":
        "OpenMP를 설치하세요 (apt install libgomp1 / brew install libomp 후 README대로 CPPFLAGS/LDFLAGS "
        "설정). 설치 전에는 병렬 수업이 직렬로 실행됩니다",
    "optkit.native is missing: {why}": "optkit.native가 없습니다: {why}",
    "build it: python setup.py build_ext --inplace (or make lab / make test)":
        "빌드하세요: python setup.py build_ext --inplace (또는 make lab / make test)",
    "optkit.native was built without OpenMP": "optkit.native가 OpenMP 없이 빌드되었습니다",
    "rebuild it with a compiler that has OpenMP, OPTKIT_NO_OPENMP unset: make lab (or "
    "python setup.py build_ext --inplace), which rebuilds when the flags changed":
        "OpenMP를 지원하는 컴파일러로, OPTKIT_NO_OPENMP는 해제하고 다시 빌드하세요: make lab (또는 "
        "python setup.py build_ext --inplace). 빌드 플래그가 바뀌었으면 다시 빌드합니다",
    "only {gib} GiB available": "사용 가능한 메모리가 {gib} GiB뿐입니다",
    "close other programs; the notebooks need about 2 GiB": "다른 프로그램을 닫으세요. 노트북에는 약 2 GiB가 필요합니다",
    "cgroup memory limit is {gib} GiB": "cgroup 메모리 제한이 {gib} GiB입니다",
    "raise the container's --memory limit to at least 4 GiB": "컨테이너의 --memory 제한을 4 GiB 이상으로 올리세요",
    "GPU {idx}: persistence mode is {mode}": "GPU {idx}: persistence mode가 {mode}입니다",
    "sudo nvidia-smi -pm 1 (or run nvidia-persistenced): without it the driver de-initialises the GPU "
    "whenever no process uses it, and the next job pays the start-up again":
        "sudo nvidia-smi -pm 1 (또는 nvidia-persistenced 실행): 이것이 없으면 GPU를 쓰는 프로세스가 "
        "없을 때마다 드라이버가 GPU 초기화를 해제해서, 다음 작업이 시작 비용을 다시 치릅니다",
    "GPU {idx}: performance state {pstate} now": "GPU {idx}: 현재 성능 상태 {pstate}",
    "an idle GPU is usually in a low-power state (often P8; some data-centre cards report P0 at idle "
    "clocks); under load expect P0 (data-centre cards) or P2 (GeForce cards compute in P2 by design); "
    "the clocks decide: whether they are held back shows in the clocks event reasons of nvidia-smi -q "
    "-d PERFORMANCE (power cap, thermal)":
        "유휴 GPU는 보통 저전력 상태에 있습니다(흔히 P8이며, 일부 데이터센터용 카드는 유휴 클럭에서도 "
        "P0으로 보고합니다). 부하가 걸리면 P0(데이터센터용 카드) 또는 P2(GeForce 카드는 설계상 "
        "P2에서 연산합니다)가 정상입니다. 판단 기준은 클럭입니다. 클럭이 억제되는지는 "
        "nvidia-smi -q -d PERFORMANCE의 clocks event reasons(전력 제한, 온도)에 나옵니다",
    # optkit.doctor: recommended settings
    "{n} usable CPUs; OpenMP runtimes (libgomp: our extension, torch's own copy), OpenBLAS and PyTorch "
    "read it at start-up; Numba does not (NUMBA_NUM_THREADS)":
        "사용 가능한 CPU {n}개. OpenMP 런타임(libgomp: 이 과정의 확장 모듈, torch 자체 사본), OpenBLAS, "
        "PyTorch는 시작할 때 이 값을 읽습니다. Numba는 읽지 않습니다 (NUMBA_NUM_THREADS)",
    "NumPy's OpenBLAS otherwise sizes its pool from the affinity mask; it ignores the quota":
        "설정하지 않으면 NumPy의 OpenBLAS는 affinity mask로 풀 크기를 정하고, 제한량은 무시합니다",
    "Numba reads it once, at import, and sizes its pool from the affinity mask otherwise (which ignores "
    "the cgroup quota); later, numba.set_num_threads can only stay at or below it":
        "Numba는 import할 때 한 번만 읽고, 설정이 없으면 affinity mask로 풀 크기를 정합니다(cgroup "
        "제한량은 무시). 이후 numba.set_num_threads는 이 값 이하로만 설정할 수 있습니다",
    "cv2.setNumThreads(1)  # when you bring your own threads or processes":
        "cv2.setNumThreads(1)  # 스레드나 프로세스를 직접 띄울 때",
    "otherwise cv2.setNumThreads({n}); OpenCV reads the affinity mask and the cgroup quota, but every "
    "worker process still starts a pool of that size":
        "그렇지 않으면 cv2.setNumThreads({n}). OpenCV는 affinity mask와 cgroup 제한량을 읽지만, "
        "워커 프로세스마다 그 크기의 풀을 따로 띄웁니다",
    "W worker processes: give each max(1, {n} // W) threads (threadpoolctl.threadpool_limits(k) in the worker)":
        "워커 프로세스 W개: 각각에 스레드 max(1, {n} // W)개 (워커 안에서 threadpoolctl.threadpool_limits(k))",
    "workers x threads per worker should not exceed the usable CPUs":
        "워커 수 x 워커당 스레드 수가 사용 가능한 CPU 수를 넘지 않아야 합니다",
    "torch sizes its pool by its own rule (the cores it sees, not the quota) and may bring its own "
    "libgomp (pip wheels bundle one): threadpoolctl shows whether you have one OpenMP pool or two":
        "torch는 자기 규칙(제한량이 아니라 보이는 코어 수)으로 풀 크기를 정하고, 자체 libgomp를 "
        "가져올 수 있습니다(pip wheel에 들어 있음): OpenMP 풀이 하나인지 둘인지는 threadpoolctl이 보여 줍니다",
    "persistence mode keeps the GPU initialised while idle; no start-up cost per job":
        "persistence mode는 유휴 상태에서도 GPU를 초기화된 채로 유지합니다. 작업마다 시작 비용이 들지 않습니다",
    "under load: nvidia-smi -q -d PERFORMANCE": "부하 중에: nvidia-smi -q -d PERFORMANCE",
    "P0 (data-centre cards) or P2 (GeForce, by design) under load; the clocks event reasons say whether "
    "power or temperature holds the clocks back":
        "부하 중에는 P0(데이터센터용 카드) 또는 P2(GeForce, 설계상)입니다. 전력이나 온도가 클럭을 "
        "억제하는지는 clocks event reasons에 나옵니다",
    "create tensors on the device, and time finished work, not launches":
        "텐서는 디바이스에서 바로 만들고, 실행 요청(launch)이 아니라 끝난 작업의 시간을 재세요",
    # optkit.doctor: production-container checklist (statuses ok/check/fix stay English)
    "CPU quota known (docker --cpus / cgroup)": "CPU 제한량을 알고 있음 (docker --cpus / cgroup)",
    "quota {q} CPUs": "제한량 CPU {q}개",
    "no quota set": "제한량 없음",
    "thread env vars set to the usable CPUs ({n})": "스레드 환경변수를 사용 가능한 CPU 수({n})로 설정함",
    "too high or invalid: {names}; ": "너무 크거나 잘못됨: {names}; ",
    "not set: {names}": "설정 안 됨: {names}",
    "all set": "모두 설정됨",
    "affinity mask matches the quota": "affinity mask가 제한량과 맞음",
    "affinity {aff} CPUs, quota {q}; --cpuset-cpus pins the container to cores":
        "affinity CPU {aff}개, 제한량 {q}; --cpuset-cpus는 컨테이너를 특정 코어에 고정합니다",
    "none": "없음",
    "every pool <= usable CPUs (threadpoolctl, cv2, numba, torch)":
        "모든 풀 <= 사용 가능한 CPU (threadpoolctl, cv2, numba, torch)",
    "oversubscribed: {names}": "오버서브스크립션: {names}",
    "{count} BLAS/OpenMP pools, none above {n}": "BLAS/OpenMP 풀 {count}개, 모두 {n} 이하",
    "memory limit set and known": "메모리 제한을 설정했고 알고 있음",
    "limit {gib} GiB": "제한 {gib} GiB",
    "no cgroup memory limit: the container can use all host memory (set --memory)":
        "cgroup 메모리 제한 없음: 컨테이너가 호스트 메모리를 전부 쓸 수 있습니다 (--memory를 설정하세요)",
    "GPU persistence mode on": "GPU persistence mode 켜짐",
    "GPU clocks not held back under load": "부하 중에 GPU 클럭이 억제되지 않음",
    "nvidia-smi -q -d PERFORMANCE while the service runs: clocks event reasons":
        "서비스가 도는 동안 nvidia-smi -q -d PERFORMANCE: clocks event reasons",
    "GPU state (persistence, P-state)": "GPU 상태 (persistence, P-state)",
    # optkit.doctor: report headings and values
    "no limit": "제한 없음",
    "not set": "설정 안 됨",
    "yes": "예",
    "no": "아니요",
    "Python & packages": "Python과 패키지",
    "{q} CPUs": "CPU {q}개",
    "CPUs": "CPU",
    "model": "모델",
    "affinity mask": "affinity mask",
    "cgroup CPU quota": "cgroup CPU 제한량",
    "usable CPUs": "사용 가능한 CPU",
    "Memory": "메모리",
    "total": "전체",
    "available": "사용 가능",
    "cgroup limit": "cgroup 제한",
    "numba threads": "numba 스레드 수",
    "{n} threads  {file}": "스레드 {n}개  {file}",
    "Threads & pools": "스레드와 풀",
    "Compiler & OpenMP": "컴파일러와 OpenMP",
    "C compiler": "C 컴파일러",
    "compiles C": "C 컴파일 가능",
    "OpenMP works": "OpenMP 동작",
    " ({n} threads)": " (스레드 {n}개)",
    "detail": "상세",
    "Native build (optkit.native)": "네이티브 빌드 (optkit.native)",
    "why": "이유",
    "Problems & advice": "문제와 조언",
    "nothing to fix": "고칠 것이 없습니다",
    "Recommended settings for this machine": "이 머신에 권장하는 설정",
    "Production-container checklist": "프로덕션 컨테이너 체크리스트",
    "usable CPUs: {n}; GPU: {gpu}; ": "사용 가능한 CPU: {n}; GPU: {gpu}; ",
    "no misconfiguration found": "잘못된 설정이 없습니다",
    "{n} misconfiguration(s) to fix": "고쳐야 할 잘못된 설정 {n}개",
    "check: {state} ({n} misconfiguration(s) an instructor should fix)":
        "check: {state} (강사가 고쳐야 할 잘못된 설정 {n}개)",
    # optkit.lessons.capstone charts
    "target x{target}": "목표 x{target}",
    "no speedups to show": "표시할 속도 향상이 없습니다",
    "speedup over the pure-Python pipeline (each on their own machine)":
        "pure Python 파이프라인 대비 속도 향상 (각자 자기 머신에서)",
    "Capstone leaderboard": "캡스톤 리더보드",
    "augmented patches (pure-Python reference)": "증강된 패치 (pure Python 참조 구현)",
    # optkit.lessons.beyond_code charts
    "measured roof": "측정한 상한(roof)",
    "{gbs} GB/s  ({share} of the roof)": "{gbs} GB/s  (상한의 {share})",
    "achieved bandwidth, useful bytes only [GB/s] (higher is better)":
        "달성한 대역폭, 유효 바이트만 [GB/s] (높을수록 좋음)",
    "Achieved memory bandwidth against the measured roof": "측정한 상한 대비 달성한 메모리 대역폭",
    "Memory-bound kernels: achieved GB/s (useful bytes) against the measured roof":
        "메모리 대역폭에 묶인 커널: 측정한 상한 대비 달성한 GB/s (유효 바이트)",
    # optkit.bench.assert_same: the mismatch a WRONG verdict shows
    "expected an array, got {kind}": "배열이어야 하는데 {kind}이(가) 왔습니다",
    "shape differs: expected {expected}, got {got}": "shape가 다릅니다: 기대값 {expected}, 실제 {got}",
    "dtype differs: expected {expected}, got {got}": "dtype이 다릅니다: 기대값 {expected}, 실제 {got}",
    "{bad} of {size} elements differ": "원소 {size}개 중 {bad}개가 다릅니다",
    " (max abs diff {diff}, rtol={rtol}, atol={atol})": " (최대 절대 오차 {diff}, rtol={rtol}, atol={atol})",
    "; first at index {index}: expected {expected}, got {got}":
        "; 처음 다른 곳은 인덱스 {index}: 기대값 {expected}, 실제 {got}",
    "expected a {expected}, got {got}": "{expected}이어야 하는데 {got}이(가) 왔습니다",
    "length differs: expected {expected}, got {got}": "길이가 다릅니다: 기대값 {expected}, 실제 {got}",
    "expected a dict, got {got}": "dict이어야 하는데 {got}이(가) 왔습니다",
    "keys differ: missing {missing}, extra {extra}": "키가 다릅니다: 빠진 키 {missing}, 남는 키 {extra}",
    "expected a number {expected}, got {got}": "숫자 {expected}이어야 하는데 {got}이(가) 왔습니다",
    "expected {expected}, got {got} (abs diff {diff})": "기대값 {expected}, 실제 {got} (절대 오차 {diff})",
    "cannot compare {expected} with {got}: {exc}": "{expected}와 {got}을(를) 비교할 수 없습니다: {exc}",
    "expected {expected}, got {got}": "기대값 {expected}, 실제 {got}",
    # optkit.annotate: the compiler note at the top of 03, the annotation legend, skipped cells
    "No working C compiler was found ({detail}). The Cython cells of this notebook are skipped; the "
    "Numba parts still run. To run everything, install a C compiler (Debian/Ubuntu: "
    "`sudo apt install build-essential`; macOS: `xcode-select --install`) and restart the kernel.":
        "동작하는 C 컴파일러를 찾지 못했습니다 ({detail}). 이 노트북의 Cython 셀은 건너뛰고, Numba "
        "부분은 그대로 실행됩니다. 모두 실행하려면 C 컴파일러를 설치하고 (Debian/Ubuntu: "
        "`sudo apt install build-essential`, macOS: `xcode-select --install`) 커널을 재시작하세요.",
    "unknown reason": "이유를 알 수 없음",
    "C compiler found ({compiler}), but it cannot build OpenMP code ({detail}). The Cython prange "
    "cells are skipped; everything else runs. With gcc, OpenMP comes with the compiler (on macOS "
    "with clang: `brew install libomp`, then CPPFLAGS/LDFLAGS set as in README).":
        "C 컴파일러({compiler})는 있지만 OpenMP 코드를 빌드하지 못합니다 ({detail}). Cython prange "
        "셀은 건너뛰고 나머지는 모두 실행됩니다. gcc에는 OpenMP가 함께 들어 있습니다 (macOS의 "
        "clang에서는 `brew install libomp` 후 README대로 CPPFLAGS/LDFLAGS 설정).",
    "-fopenmp failed": "-fopenmp 실패",
    "C compiler found ({compiler}) with OpenMP: every cell of this notebook will run.":
        "C 컴파일러({compiler})와 OpenMP가 있습니다: 이 노트북의 모든 셀이 실행됩니다.",
    "Cython annotation": "Cython 어노테이션(annotation)",
    "{yellow} = Python interaction (deeper = more), white = plain C. Click a line marked + to see "
    "its C code.":
        "{yellow} = Python과의 상호작용 (진할수록 많음), 흰색 = 순수 C. + 표시가 있는 줄을 누르면 "
        "그 줄의 C 코드가 보입니다.",
    "yellow": "노란색",
    "no C compiler": "C 컴파일러 없음",
    "no OpenMP": "OpenMP 없음",
    "⏭ skipped ({reason}, see the compiler note at the top): {what}":
        "⏭ 건너뜀 ({reason}, 맨 위의 컴파일러 안내 참고): {what}",
    "Cython cell {names}": "Cython 셀 {names}",
    "Cython compilation failed (see the messages above)": "Cython 컴파일에 실패했습니다 (위의 메시지를 보세요)",
    # optkit.cext: the %%c_extension line
    "loaded from cache": "캐시에서 불러옴",
    "compiled in {seconds:.1f} s": "{seconds:.1f}초 만에 컴파일함",
    ", OpenMP on": ", OpenMP 켜짐",
    ", OpenMP not available": ", OpenMP 사용 불가",
    "compiler warnings:": "컴파일러 경고:",
    # optkit.lessons.scale_out.DashboardCost.summary (07)
    "the connected viewer cost {cost:.0%} of the throughput here (throughput {change:+.0%})":
        "여기서는 연결된 뷰어가 처리량의 {cost:.0%}를 가져갔습니다 (처리량 {change:+.0%})",
    "no throughput cost measured (throughput {change:+.0%} with the viewer connected;\n     faster with "
    "the viewer is noise, not a gain)":
        "처리량 손실이 측정되지 않았습니다 (뷰어 연결 시 처리량 {change:+.0%};\n     뷰어가 있을 때 더 "
        "빠른 것은 이득이 아니라 잡음입니다)",
    "no clear throughput cost here (throughput {change:+.0%}, within the runs' noise:\n"
    "     IQR {a:.0%} and {b:.0%} of the medians)":
        "여기서는 뚜렷한 처리량 손실이 없습니다 (처리량 {change:+.0%}, 실행 간 잡음 범위 안:\n"
        "     IQR은 중앙값의 {a:.0%}, {b:.0%})",
    "dashboard closed: {closed:.1f} pages/s, open: {open:.1f} pages/s ({runs} runs each, "
    "medians)\n  -> {verdict}\nCPU per page of this process (client + scheduler): {cpu_closed:.1f} "
    "ms closed, {cpu_open:.1f} ms open;\n  the viewer itself used {viewer} ms per page\n  "
    "(server side only: a browser tab also draws the page, on these same cores)":
        "대시보드 닫힘: 초당 {closed:.1f}페이지, 열림: 초당 {open:.1f}페이지 (각 {runs}회 실행의 "
        "중앙값)\n  -> {verdict}\n이 프로세스(클라이언트 + 스케줄러)의 페이지당 CPU: 닫힘 "
        "{cpu_closed:.1f} ms, 열림 {cpu_open:.1f} ms;\n  뷰어 자체는 페이지당 {viewer} ms를 "
        "썼습니다\n  (서버 쪽만 잰 값: 브라우저 탭도 같은 코어에서 페이지를 그립니다)",
    # optkit.lessons.frameworks_first.profile_table (06)
    "shares are of the profile's total self CPU time ({total}); {kinds} kinds of event, the top "
    "{shown} shown":
        "비율은 프로파일 전체 self CPU 시간({total}) 대비입니다; 이벤트 {kinds}종 중 상위 {shown}개를 "
        "보여 줍니다",
    # optkit.workers.check_worker_import (06, 07: before worker processes start)
    "{name!r} has no file: worker processes import their code from a file, so it cannot run there":
        "{name!r}에는 파일이 없습니다: 워커 프로세스는 코드를 파일에서 import하므로 거기서는 실행할 수 없습니다",
    "{name} was loaded from {folder}, which is not on sys.path: worker processes import it by name "
    "and would not find it. Open the notebook from that folder (JupyterLab starts its kernel there), "
    "or run sys.path.insert(0, {path!r}) before starting workers":
        "{name}은(는) sys.path에 없는 {folder}에서 불러왔습니다: 워커 프로세스는 이름으로 import하므로 "
        "찾지 못합니다. 그 폴더에서 노트북을 여세요 (JupyterLab은 커널을 그 폴더에서 시작합니다). "
        "또는 워커를 시작하기 전에 sys.path.insert(0, {path!r})를 실행하세요",
    # optkit.workers.CheckedPool (07: scale.make_pool's pool, before a task reaches a worker)
    "this pool has been closed (multiprocessing: Pool not running), so it takes no more tasks: {restart}":
        "이 풀은 닫혔습니다 (multiprocessing: Pool not running). 그래서 더 이상 작업을 받지 않습니다: {restart}",
    "start a new pool": "새 풀을 시작하세요",
    "{name} is defined in a notebook cell (the kernel's __main__): this pool's workers ({method} start: "
    "fresh interpreters) find a function by importing its module by name, and they cannot import "
    "__main__, so the task would never run. Nothing was sent; the pool still works. {home}":
        "{name}은(는) 노트북 셀(커널의 __main__)에 정의되어 있습니다: 이 풀의 워커({method} 시작: 새 "
        "인터프리터)는 함수의 모듈을 이름으로 import해서 함수를 찾는데, __main__은 import할 수 없으므로 "
        "그 작업은 끝내 실행되지 않습니다. 아무것도 보내지 않았고, 풀은 그대로 쓸 수 있습니다. {home}",
    "{name}, in the items or arguments sent to the pool, is defined in a notebook cell (the kernel's "
    "__main__): this pool's workers ({method} start: fresh interpreters) find a class or function by "
    "importing its module by name, and they cannot import __main__, so the task would never run (its "
    "worker would die unpickling it). Nothing was sent; the pool still works. {home}":
        "풀에 보낸 항목이나 인수에 든 {name}은(는) 노트북 셀(커널의 __main__)에 정의되어 있습니다: 이 "
        "풀의 워커({method} 시작: 새 인터프리터)는 클래스나 함수의 모듈을 이름으로 import해서 찾는데, "
        "__main__은 import할 수 없으므로 그 작업은 끝내 실행되지 않습니다 (워커가 unpickle하다가 "
        "죽습니다). 아무것도 보내지 않았고, 풀은 그대로 쓸 수 있습니다. {home}",
    "Define it in a .py file beside the notebook, import it from there and pass that":
        "노트북 옆의 .py 파일에 정의하고, 거기서 import한 것을 넘기세요",
    'Define it in lesson07_tasks.py, the file beside this notebook (the section "The unit of work" '
    'says why), and pass `tasks.` + its name (restart the kernel after changing that file), or pass '
    'a function of `scale` itself':
        '이 노트북 옆의 파일 lesson07_tasks.py에 정의하고 (이유는 "작업 단위" 절에 있습니다) '
        '`tasks.` + 그 이름을 넘기세요 (그 파일을 고친 뒤에는 커널을 다시 시작하세요). 또는 `scale`의 '
        '함수를 그대로 넘기세요',
    'the Clean up cell at the end of the notebook closes it. Run the cell that starts it again (the '
    'first code cell of "multiprocessing and joblib": `pool = scale.make_pool(MAX_WORKERS)`), then '
    'this one':
        '노트북 끝의 뒷정리 셀이 풀을 닫습니다. 풀을 시작하는 셀("multiprocessing과 joblib" 절의 첫 '
        '코드 셀: `pool = scale.make_pool(MAX_WORKERS)`)을 다시 실행한 다음, 이 셀을 실행하세요',
    # optkit.site (the course as a static site)
    'course index':
        '과정 목차',
    '← previous':
        '← 이전',
    'next →':
        '다음 →',
    "Instructors' guide":
        '강사 안내서',
    'Lessons':
        '레슨',
    'solutions':
        '풀이',
    'Solutions of lesson':
        '레슨 풀이',
    'back to the lesson':
        '레슨으로 돌아가기',
    "The outputs on this page were measured on the machine that built the site: <b>{cpu}</b>, {cpus} usable CPUs, on {date}. They are that machine's numbers, not a promise: when you run the notebook, it measures everything anew on yours.":
        '이 페이지의 출력은 사이트를 만든 컴퓨터에서 측정한 값입니다: <b>{cpu}</b>, 사용 가능한 CPU {cpus}개, {date}. 그 컴퓨터의 숫자일 뿐 약속이 아닙니다. 노트북을 실행하면 여러분의 컴퓨터에서 모든 것을 새로 측정합니다.',
    'This lesson could not be executed when the site was built ({why}); the page shows its code without outputs.':
        '사이트를 만들 때 이 레슨을 실행하지 못했습니다({why}). 출력 없이 코드만 보여 줍니다.',
    '<b>Exercise.</b> This cell is yours to write (the learner edition has it as above); the self-check below it tells you when it is right. <a href="{href}">The solution</a> is on its own page.':
        '<b>연습 문제.</b> 이 셀은 여러분이 작성할 부분입니다(학습자판에는 위와 같이 들어 있습니다). 아래의 자가 점검이 맞았는지 알려 줍니다. <a href="{href}">풀이</a>는 별도 페이지에 있습니다.',
    'lesson':
        '레슨',
    'exercises':
        '연습 문제',
    'This site is the course as the build machine ran it, to read before installing anything. To run it yourself, see <i>Set up</i> below.':
        '이 사이트는 빌드한 컴퓨터가 실행한 과정을 그대로 보여 줍니다. 아무것도 설치하기 전에 읽어 보세요. 직접 실행하려면 아래의 설치 안내를 보세요.',
    # optkit.site: an --out folder it may not replace
    "--out {out} is not a folder (or is a link); nothing was written":
        "--out {out}은(는) 폴더가 아니거나 링크입니다. 아무것도 쓰지 않았습니다",
    "--out {out} holds a learner edition ({name}): the site builder never replaces it; nothing was written. Choose another folder (the default is build/site)":
        "--out {out}에는 학습자용 노트북이 있습니다({name}). 사이트 빌더는 이를 절대 덮어쓰지 않으며, 아무것도 쓰지 않았습니다. 다른 폴더를 고르세요 (기본값은 build/site입니다)",
    "--out {out} is not empty and was not made by the site builder (it has no {marker}); nothing was written. Choose a new or empty folder (the default is build/site); if it is a site an older optkit built, delete it yourself first":
        "--out {out}은(는) 비어 있지 않고 사이트 빌더가 만든 폴더도 아닙니다({marker}이(가) 없습니다). 아무것도 쓰지 않았습니다. 새 폴더나 빈 폴더를 고르세요 (기본값은 build/site입니다). 예전 optkit이 만든 사이트라면 먼저 직접 지우세요",
    "--out {out} holds files the site builder did not write, or changed since it wrote them ({files}); nothing was written. Move them away, or choose another folder":
        "--out {out}에는 사이트 빌더가 쓰지 않았거나 쓴 뒤에 바뀐 파일이 있습니다({files}). 아무것도 쓰지 않았습니다. 그 파일을 옮기거나 다른 폴더를 고르세요",
    # optkit.profilers (py-spy, Scalene) and the doctor's ptrace report
    "py-spy is not installed": "py-spy가 설치되어 있지 않습니다",
    "py-spy dump did not answer within {s:g} s": "py-spy dump가 {s:g}초 안에 응답하지 않았습니다",
    "install the locked set-up (make setup): it brings py-spy": "잠근 설정을 설치하세요 (make setup): py-spy가 함께 설치됩니다",
    "nothing to do: py-spy can attach to a running process by pid":
        "할 일 없음: py-spy가 실행 중인 프로세스에 pid로 붙을 수 있습니다",
    "ptrace is disabled on this kernel (ptrace_scope 3, until reboot): profile programs that py-spy starts itself only if an administrator lowers it":
        "이 커널에서는 ptrace가 꺼져 있습니다 (ptrace_scope 3, 재부팅 전까지): 관리자가 값을 낮춰야 py-spy가 직접 시작한 프로그램도 프로파일링할 수 있습니다",
    "start the program under py-spy (py-spy record -- python script.py), or give the container the capability: docker run --cap-add SYS_PTRACE (or, on your own machine, sudo sysctl kernel.yama.ptrace_scope=0)":
        "프로그램을 py-spy 아래에서 시작하거나 (py-spy record -- python script.py), 컨테이너에 권한을 주세요: docker run --cap-add SYS_PTRACE (자기 컴퓨터라면 sudo sysctl kernel.yama.ptrace_scope=0)",
    "no Yama (ordinary rules)": "Yama 없음 (일반 규칙)",
    "unknown": "알 수 없음",
    "not tried": "시도하지 않음",
    "ptrace_scope: {scope} | CAP_SYS_PTRACE: {cap} | py-spy attaches by pid: {att}":
        "ptrace_scope: {scope} | CAP_SYS_PTRACE: {cap} | py-spy가 pid로 붙음: {att}",
    "py-spy is not installed (make setup installs it)": "py-spy가 설치되어 있지 않습니다 (make setup이 설치합니다)",
    "py-spy failed: {why}": "py-spy 실패: {why}",
    "{what} did not finish within {s:g} s; it was stopped, with the program it ran":
        "{what}이(가) {s:g}초 안에 끝나지 않아, 실행하던 프로그램과 함께 멈췄습니다",
    "the profiled program failed (exit status {code}): {why}":
        "프로파일링한 프로그램이 실패했습니다 (종료 상태 {code}): {why}",
    "Scalene is not installed here (its wheels are for Linux x86_64)":
        "여기에는 Scalene이 설치되어 있지 않습니다 (휠이 Linux x86_64용뿐입니다)",
    "scalene failed: {why}": "scalene 실패: {why}",
    "{path} exists and scalene_run did not write it: left as it is":
        "{path}이(가) 이미 있고 scalene_run이 쓴 파일이 아니어서 그대로 둡니다",
    "py-spy cannot sample here, so this cell skips its table: {advice}":
        "여기서는 py-spy로 샘플링할 수 없어 이 셀은 표를 건너뜁니다: {advice}",
    "py-spy could not sample here ({why}), so this cell skips its table: {advice}":
        "여기서는 py-spy로 샘플링하지 못해 ({why}) 이 셀은 표를 건너뜁니다: {advice}",
    "py-spy could not sample here ({why}), so this cell skips its table":
        "여기서는 py-spy로 샘플링하지 못해 ({why}) 이 셀은 표를 건너뜁니다",
    "the program py-spy ran failed ({why}), so this cell skips its table: fix the program (run it "
    "without py-spy to see its error)":
        "py-spy가 실행한 프로그램이 실패해 ({why}) 이 셀은 표를 건너뜁니다: 프로그램을 고치세요 "
        "(py-spy 없이 실행하면 오류가 보입니다)",
    "py-spy did not finish ({why}), so this cell skips its table: give it a shorter run or a "
    "longer timeout":
        "py-spy가 끝나지 않아 ({why}) 이 셀은 표를 건너뜁니다: 실행을 더 짧게 하거나 "
        "timeout을 늘리세요",
    "Sampling profiler (py-spy)": "샘플링 프로파일러 (py-spy)",
    "attaches by pid": "pid로 붙기",
    # notebook 06, Exercise A's rule (tensor_ops_only, in the check cell)
    "your function left torch ({calls}): the task asks for tensor operations only":
        "함수가 torch 밖으로 나갔습니다 ({calls}): 과제는 텐서 연산만 쓰도록 요구합니다",
    "a NumPy function given a tensor": "텐서를 받은 NumPy 함수",
    # notebook 01's own printed lines and table labels (its code cells call tr())
    "hottest line of run(): {source!r}": "run()에서 가장 오래 걸리는 라인: {source!r}",
    "its share of the time: {share:.1f} %": "그 라인의 시간 비중: {share:.1f} %",
    "the next line:         {source!r}, {share:.1f} %": "그다음 라인: {source!r}, {share:.1f} %",
    "-> the hottest line is clearly ahead of the next one here":
        "-> 여기서는 가장 오래 걸리는 라인이 그다음 라인보다 뚜렷하게 앞섭니다",
    " (one profiled run: by the ratio of the two times alone, with no spread to weigh)":
        " (프로파일링 실행이 한 번뿐이라 두 시간의 비율로만 판단했고, 따질 퍼짐이 없습니다)",
    "-> not clearly ahead of the next one: no clear difference here ({name} is slow, so it was "
    "profiled once: one run gives no spread)":
        "-> 그다음 라인보다 뚜렷하게 앞서지 않습니다: 여기서는 뚜렷한 차이가 없습니다 ({name}은(는) "
        "느려서 한 번만 프로파일링했습니다. 한 번의 실행으로는 퍼짐을 알 수 없습니다)",
    "-> not clearly ahead of the next one: {why}": "-> 그다음 라인보다 뚜렷하게 앞서지 않습니다: {why}",
    "no clear difference here ({name} is slow, so it was profiled once: one run gives no spread)":
        "여기서는 뚜렷한 차이가 없습니다 ({name}은(는) 느려서 한 번만 프로파일링했습니다. 한 번의 "
        "실행으로는 퍼짐을 알 수 없습니다)",
    "hottest stage, plain timers (interleaved rounds): ":
        "가장 오래 걸리는 단계, 일반 타이머(번갈아 실행한 라운드): ",
    "hottest stage, under profiler:                   ":
        "가장 오래 걸리는 단계, 프로파일러 아래:                   ",
    " (profiled runs: {a} and {b})": " (프로파일링한 실행: {a}회, {b}회)",
    "-> the plain timers cannot rank these two here, so no two rankings to compare":
        "-> 여기서는 일반 타이머가 이 둘의 순위를 정할 수 없으므로, 비교할 두 순위가 없습니다",
    "-> the profiled runs cannot rank these two here, so no two rankings to compare":
        "-> 여기서는 프로파일링한 실행으로 이 둘의 순위를 정할 수 없으므로, 비교할 두 순위가 없습니다",
    "-> the same stage: the big picture held here": "-> 같은 단계입니다: 여기서는 큰 그림이 그대로였습니다",
    "-> different stages: the profiler's uneven cost changed the ranking here":
        "-> 다른 단계입니다: 여기서는 프로파일러의 고르지 않은 비용이 순위를 바꾸었습니다",
    "slowdown ranges from {lo:.1f} to {hi:.1f} (each the median of three interleaved runs, one for "
    "slow stages: a value near or below 1 is noise)":
        "느려지는 배율은 {lo:.1f}에서 {hi:.1f}까지입니다 (각각 번갈아 실행한 세 번의 중앙값이고, 느린 "
        "단계는 한 번입니다. 1에 가깝거나 1보다 작은 값은 잡음입니다)",
    "{name:>10}: {median:>9} ± {iqr:<8} ({share:4.1f} % of the stages; median ± IQR of {n} runs)":
        "{name:>10}: {median:>9} ± {iqr:<8} (단계 합계의 {share:4.1f} %, {n}회 실행의 중앙값 ± IQR)",
    "the hot stage": "가장 오래 걸리는 단계",
    "the largest, not clearly ahead of {other} here": "가장 크지만, 여기서는 {other}보다 뚜렷하게 앞서지 않습니다",
    "a pixel stage, not the hottest here": "픽셀 단계이며, 여기서는 가장 오래 걸리는 단계가 아닙니다",
    "not clearly below the largest here": "여기서는 가장 큰 단계보다 뚜렷하게 작지 않습니다",
    "largest plain stage time: {stage}": "일반 타이머로 잰 시간이 가장 큰 단계: {stage}",
    " (vs {other}: {why})": " ({other} 대비: {why})",
    "; grayscale: {share:.0f} % of the stages ({where})": ". grayscale: 단계 합계의 {share:.0f} % ({where})",
    "{share:5.1f} %   hits {hits:>6}   {source}": "{share:5.1f} %   {hits:>6}회 실행   {source}",
    "the {n} lines run once per pixel (the loop body): {share:.0f} % of the line time (each line: "
    "median of the runs)":
        "픽셀마다 한 번씩 실행되는 라인 {n}개(루프 본문): 라인 시간의 {share:.0f} % (라인마다 실행들의 "
        "중앙값)",
    "submit() returned after  {time}": "submit()이 반환되기까지:  {time}",
    "the result was ready after {time}": "결과가 준비되기까지:      {time}",
    "write quad_areas above first, then run this cell again":
        "먼저 위의 quad_areas를 작성한 다음, 이 셀을 다시 실행하세요",
    "{answer!r} is not one of pipeline.STAGES {stages}":
        "{answer!r}은(는) pipeline.STAGES {stages}에 있는 이름이 아닙니다",
    "{answer!r} is clearly below the largest stage in the check's own {n} plain runs (median ± IQR: "
    "{table})":
        "{answer!r}은(는) 채점 셀이 직접 일반 타이머로 잰 {n}회 실행에서 가장 큰 단계보다 뚜렷하게 "
        "작습니다 (중앙값 ± IQR: {table})",
    " and in the {n} runs of the stage table above ({table})":
        " 그리고 위의 단계 표의 {n}회 실행에서도 그렇습니다 ({table})",
    " (the stage table above has not run, so only these rounds count)":
        " (위의 단계 표를 실행하지 않았으므로, 이 라운드만 셉니다)",
    "; {answer!r} is not the hot stage": ". {answer!r}은(는) 가장 오래 걸리는 단계가 아닙니다",
    "{answer!r} is level with the largest stage, {top!r}, within the noise of the check's own runs "
    "or of the stage table's (check: {table})":
        "{answer!r}은(는) 채점 셀의 실행이나 단계 표의 실행에서 잡음 범위 안에서 가장 큰 단계 "
        "{top!r}와(과) 같습니다 (채점: {table})",
    "loop of cheap lines": "가벼운 라인들의 루프",
    "np.sort, one call": "np.sort, 호출 한 번",
    "hits": "실행 횟수(hits)",
    "plain": "일반 타이머",
    "under the profiler": "프로파일러 아래",
    "inflation": "부풀려진 배율",
    " (within the noise)": " (잡음 범위 안)",
    "level (within the noise)": "같음 (잡음 범위 안)",
    "hottest plainly: {plain}; hottest in the profile: {prof}":
        "가장 오래 걸리는 것: 일반 타이머로는 {plain}, 프로파일에서는 {prof}",
    "-> one ranking is within the noise here, so no flip can be named: run the cell again":
        "-> 여기서는 한쪽 순위가 잡음 범위 안이라 뒤집혔다고 말할 수 없습니다: 셀을 다시 실행하세요",
    "-> the ranking flipped: the profiler's cost per hit made the cheap loop look hotter than it is":
        "-> 순위가 뒤집혔습니다: 실행마다 드는 프로파일러 비용 탓에 가벼운 루프가 실제보다 오래 걸려 보입니다",
    "-> the ranking held here; compare the two inflations in the table (each noise-ruled)":
        "-> 여기서는 순위가 그대로입니다. 표의 두 배율을 비교하세요 (각각 잡음 규칙으로 판정)",
    "py-spy recorded no sample in the two stages: the table has no py-spy row":
        "py-spy가 두 단계에서 샘플을 하나도 기록하지 않았습니다: 표에 py-spy 행이 없습니다",
    "plain timers": "일반 타이머",
    "ranked first": "1위",
    "level (noise)": "같음 (잡음)",
    "-> no py-spy row; python_stage: line_profiler {lp:.0%}, plain timers {plain:.0%}":
        "-> py-spy 행이 없습니다. python_stage: line_profiler {lp:.0%}, 일반 타이머 {plain:.0%}",
    "the plain timers see the stages level": "일반 타이머로는 두 단계가 같습니다",
    "line_profiler's run-to-run noise hides any ranking": "line_profiler의 실행 간 잡음에 순위가 가려집니다",
    "same ranking": "순위가 같습니다",
    "line_profiler's uneven cost flips the ranking": "line_profiler의 고르지 않은 비용이 순위를 뒤집습니다",
    "{closer} is closer to the plain timers here": "여기서는 {closer}이(가) 일반 타이머에 더 가깝습니다",
    "neither is clearly closer to the plain timers (py-spy ±{err:.0%}, spread {spread:.0%})":
        "어느 쪽도 일반 타이머에 뚜렷하게 더 가깝지 않습니다 (py-spy ±{err:.0%}, 퍼짐 {spread:.0%})",
    "-> the sampler sees the two stages level (python_stage {spy:.0%}, ±{err:.0%});\n"
    "   line_profiler gives python_stage {lp:.0%}":
        "-> 샘플링 프로파일러로는 두 단계가 같습니다 (python_stage {spy:.0%}, ±{err:.0%}).\n"
        "   line_profiler는 python_stage에 {lp:.0%}를 줍니다",
    "-> the sampler ranks {first} first; line_profiler's runs do not separate the\n"
    "   stages (noise; python_stage {lp:.0%} of its time)":
        "-> 샘플링 프로파일러는 {first}을(를) 1위로 매깁니다. line_profiler의 실행으로는 두 단계가\n"
        "   갈리지 않습니다 (잡음, python_stage가 그 시간의 {lp:.0%})",
    "-> they disagree: line_profiler ranks {lp} first, the sampler {spy}":
        "-> 둘이 다릅니다: 1위가 line_profiler에서는 {lp}, 샘플링 프로파일러에서는 {spy}입니다",
    "-> same ranking here ({first} first), but line_profiler gives python_stage {lp:.0%},\n"
    "   the sampler {spy:.0%} and the plain timers {plain:.0%}":
        "-> 여기서는 순위가 같지만({first}이(가) 1위), python_stage에 line_profiler는 {lp:.0%},\n"
        "   샘플링 프로파일러는 {spy:.0%}, 일반 타이머는 {plain:.0%}를 줍니다",
    "(one workload for all three: step() with reps = {reps}, OpenCV on one thread, no blur thread;\n"
    " the plain timers and line_profiler in this kernel, py-spy in the script's own process)":
        "(셋 모두 같은 작업: reps = {reps}인 step(), OpenCV는 스레드 하나, blur 스레드 없음.\n"
        " 일반 타이머와 line_profiler는 이 커널에서, py-spy는 스크립트 자신의 프로세스에서)",
    "py-spy record --native -- python sampled.py main 2: {n} samples in {s:.1f} s":
        "py-spy record --native -- python sampled.py main 2: {s:.1f}초 동안 샘플 {n}개",
    "-> the background thread holds {blur:.0%} of the samples: a %lprun of step() would not show it":
        "-> 백그라운드 스레드가 샘플의 {blur:.0%}를 차지합니다: step()을 %lprun으로 보면 이것이 보이지 않습니다",
    "-> {cv:.0%} of opencv_stage's samples are inside native code, against {py:.0%} of python_stage's":
        "-> opencv_stage의 샘플은 {cv:.0%}가 네이티브 코드 안에 있고, python_stage는 {py:.0%}입니다",
    "   (python_stage's: NumPy's indexing and scalars, called once per pixel from the Python loop)":
        "   (python_stage의 것: Python 루프에서 픽셀마다 한 번씩 부르는 NumPy의 인덱싱과 스칼라)",
    "all samples": "전체 샘플",
    "GIL held": "GIL을 쥔 샘플",
    "-> under --gil the OpenCV thread keeps less than a third of its share ({was:.0%} -> {held:.0%}): OpenCV released the GIL while it worked":
        "-> --gil에서는 OpenCV 스레드의 비중이 3분의 1 아래로 줄어듭니다({was:.0%} -> {held:.0%}): OpenCV는 일하는 동안 GIL을 놓았습니다",
    "-> the OpenCV thread keeps a share under --gil ({was:.0%} -> {held:.0%})":
        "-> --gil에서도 OpenCV 스레드의 비중이 남습니다({was:.0%} -> {held:.0%})",
    "{label:>24}: {samples:5} samples, {procs} process(es) seen, {work:5} samples inside worker_job":
        "{label:>24}: 샘플 {samples:5}개, 보인 프로세스 {procs}개, worker_job 안의 샘플 {work:5}개",
    "samples per process (with --subprocesses):": "프로세스별 샘플 수 (--subprocesses 사용):",
    "attached to the running service (pid {pid})": "실행 중인 서비스(pid {pid})에 붙었습니다",
    "no permission to attach here: profiled a copy that py-spy started itself":
        "여기서는 붙을 권한이 없습니다: py-spy가 직접 시작한 복사본을 프로파일링했습니다",
    "{how}: {n} samples": "{how}: 샘플 {n}개",
    "Scalene: Python share": "Scalene: Python 비중",
    "Scalene CPU-time mode: Python share": "Scalene CPU 시간 모드: Python 비중",
    "py-spy: native share": "py-spy: 네이티브 비중",
    "the two profilers agree (a quarter of the samples apart or less)":
        "두 프로파일러가 일치합니다 (차이가 샘플의 4분의 1 이하)",
    "Scalene sees less native time; a likely cause, not measured: native calls shorter than its "
    "interval, which it books as Python":
        "Scalene이 네이티브 시간을 더 적게 봅니다. 측정하지 않은 유력한 원인: 샘플링 간격보다 짧은 "
        "네이티브 호출을 Python으로 셉니다",
    "Scalene sees more native time; the CPU-time mode cannot tell here: in a background thread its "
    "call rule holds too":
        "Scalene이 네이티브 시간을 더 많이 봅니다. 여기서는 CPU 시간 모드로도 알 수 없습니다: "
        "백그라운드 스레드에서는 그 모드에서도 호출 규칙이 적용됩니다",
    "Scalene sees more native time; no CPU-time row to set against it":
        "Scalene이 네이티브 시간을 더 많이 봅니다. 비교할 CPU 시간 모드의 행이 없습니다",
    "Scalene sees more native time, and its CPU-time mode comes closer to py-spy: the default "
    "mode's call rule (a sample on a call, builtins such as int or min too, is booked as native) is "
    "the likely cause":
        "Scalene이 네이티브 시간을 더 많이 보고, CPU 시간 모드는 py-spy에 더 가깝습니다: 기본 모드의 "
        "호출 규칙(호출 위에 떨어진 샘플은 int나 min 같은 내장 함수라도 네이티브로 셉니다)이 유력한 "
        "원인입니다",
    "Scalene sees more native time, and its CPU-time mode is not clearly closer to py-spy (by less "
    "than a tenth of the samples): likely not the default mode's call rule alone":
        "Scalene이 네이티브 시간을 더 많이 보지만, CPU 시간 모드가 py-spy에 뚜렷하게 더 가깝지는 "
        "않습니다 (차이가 샘플의 10분의 1 미만): 기본 모드의 호출 규칙만이 원인은 아닌 듯합니다",
    "py-spy did not run here (see its cell above): no py-spy column to set Scalene against":
        "여기서는 py-spy가 실행되지 않았습니다 (위의 셀 참조): Scalene과 비교할 py-spy 열이 없습니다",
    # notebook 02's own printed lines, chart titles and table headers (its code cells call tr())
    "{share:5.1f} % of the time: {line}": "시간의 {share:5.1f} %: {line}",
    "grayscale (320 x 240 piece), speedup over the loop": "grayscale (320 x 240 조각), 루프 대비 속도 향상",
    "contrast (320 x 240 piece), speedup over the loop": "contrast (320 x 240 조각), 루프 대비 속도 향상",
    "binarize (320 x 240 piece), speedup over the loop": "binarize (320 x 240 조각), 루프 대비 속도 향상",
    "NMS (full page candidates), speedup over the loop": "NMS (페이지 전체의 후보), 루프 대비 속도 향상",
    "corner order (full page candidates), speedup over the loop":
        "꼭짓점 순서 (페이지 전체의 후보), 루프 대비 속도 향상",
    "crop + pad (all kept boxes), speedup over the loop": "crop + pad (남긴 박스 전부), 루프 대비 속도 향상",
    # (02 Exercise C's chart, 041e7da0, for when that cell passes its title through tr())
    "CTC decoding (all kept boxes), speedup over the loop": "CTC 디코딩 (남긴 박스 전부), 루프 대비 속도 향상",
    "batch to float32 NCHW, speedup over the loop": "float32 NCHW 배치 만들기, 루프 대비 속도 향상",
    "OCR pipeline, full page: fast stages swapped in one by one (cumulative)":
        "OCR 파이프라인, 페이지 전체: 빠른 단계를 하나씩 바꿔 넣기 (누적)",
    "{dtype} data: right shift vs integer division: {gain:.2f} times the speed -> {verdict}":
        "{dtype} 데이터, 오른쪽 시프트 대 정수 나눗셈: 속도 {gain:.2f}배 -> {verdict}",
    "the shift is faster here": "여기서는 시프트가 더 빠릅니다",
    "the division is faster here": "여기서는 나눗셈이 더 빠릅니다",
    "values:        {values}\nhex-mask trick: {masked}": "값:                 {values}\n16진수 마스크 기법: {masked}",
    "candidates: {n} | kept: {kept}": "후보: {n}개 | 남긴 박스: {kept}개",
    "median {fast} ± {fast_iqr} IQR vs {loop} ± {loop_iqr}": "중앙값 {fast} ± {fast_iqr} IQR 대 {loop} ± {loop_iqr}",
    "preallocated buffer vs the loop: {gain:.2f} times the speed -> ": "미리 할당한 버퍼 대 루프: 속도 {gain:.2f}배 -> ",
    "a gain": "이득입니다",
    "slower here, clearly:": "여기서는 분명히 더 느립니다:",
    "   a loss beyond the noise; nothing here measures its cause (both make the same warps per box)":
        "   잡음을 넘는 손해입니다. 원인은 여기서 측정하지 않습니다 (둘 다 박스마다 같은 warp를 합니다)",
    "bit for bit equal to the float64 reference:": "float64 참조 구현과 비트 단위로 같은지:",
    "fastest in this run: {winner} (x{a:.1f}), clearly ahead of {runner_up} (x{b:.1f})":
        "이번 실행의 1위: {winner} (x{a:.1f}), {runner_up} (x{b:.1f})보다 분명히 빠릅니다",
    "{winner} (x{a:.1f}) and {runner_up} (x{b:.1f}):": "{winner} (x{a:.1f})와(과) {runner_up} (x{b:.1f}):",
    "  no winner between them: {note}": "  둘 중 승자는 없습니다: {note}",
    "np.take's speed vs cv2.LUT's: x{ratio:.2f}": "cv2.LUT 대비 np.take의 속도: x{ratio:.2f}",
    "median of {n}, IQR {iqr}": "{n}회의 중앙값, IQR {iqr}",
    "one run": "한 번 실행",
    "end to end: reference {ref}, NumPy/OpenCV {fast}: {ratio:.0f} times faster, outputs identical":
        "처음부터 끝까지: 참조 구현 {ref}, NumPy/OpenCV {fast}: {ratio:.0f}배 빠르고 출력은 같습니다",
    "{stage}: ratio {r:.2f} (reference: one run), {note}":
        "{stage}: 비율 {r:.2f} (참조 구현: 한 번 실행), {note}",
    "{stage}: ratio {r:.2f} (reference: one run), slower here":
        "{stage}: 비율 {r:.2f} (참조 구현: 한 번 실행), 여기서는 더 느립니다",
    ": likely because both make the same cv2.warpPerspective call per box (not measured here); "
    "notebook 04 runs those warps in parallel":
        ": 두 버전 모두 박스마다 같은 cv2.warpPerspective 호출을 하기 때문일 가능성이 큽니다(여기서 "
        "측정하지는 않았습니다). 노트북 04에서는 이 warp들을 병렬로 실행합니다",
    ": nothing here measures why (the stage took {share:.1%} of the reference's time)":
        ": 그 이유는 여기서 측정하지 않습니다 (이 단계가 참조 구현 시간의 {share:.1%}를 차지했습니다)",
    "ratio": "비율",
    # notebook 07's own printed lines, chart titles and table labels
    "usable CPUs: {usable} | local workers: {workers} | page: {page}":
        "사용 가능한 CPU: {usable} | 로컬 워커: {workers} | 페이지: {page}",
    "worker processes import lesson07_tasks from {where}": "워커 프로세스가 lesson07_tasks를 가져오는 곳: {where}",
    "one page -> {shape} {dtype}": "페이지 하나 -> {shape} {dtype}",
    "an image costs {ratio:,.0f} times the bytes of its seed": "이미지는 그 시드보다 {ratio:,.0f}배 많은 바이트를 씁니다",
    "pickled bytes": "pickle한 바이트 수",
    "a seed": "시드 하나",
    "a chunk of 8 seeds": "시드 8개짜리 청크",
    "the page image": "페이지 이미지",
    "the whole Document": "Document 전체",
    "one result (crops)": "결과 하나 (crop들)",
    "serial: {n} pages in {time} ({rate:.1f} pages/s)": "직렬: 페이지 {n}개에 {time} (초당 {rate:.1f}페이지)",
    "CPU meanwhile: this process {own:.2f} cores, other programs on the machine {other:.2f} cores "
    "({usable} usable)":
        "그동안의 CPU: 이 프로세스 {own:.2f}코어, 머신의 다른 프로그램 {other:.2f}코어 (사용 가능 {usable}개)",
    "no clear difference from serial, one run each": "직렬과 뚜렷한 차이가 없습니다 (각각 한 번 실행)",
    "faster than serial, one run each": "직렬보다 빠릅니다 (각각 한 번 실행)",
    "slower than serial, one run each": "직렬보다 느립니다 (각각 한 번 실행)",
    "{name}: {rate:.1f} pages/s = {r:.2f} times the serial throughput\n    -> {verdict}":
        "{name}: 초당 {rate:.1f}페이지 = 직렬 처리량의 {r:.2f}배\n    -> {verdict}",
    "\n    (CPU: this process + workers {own:.2f} cores, other programs {other:.2f})":
        "\n    (CPU: 이 프로세스 + 워커 {own:.2f}코어, 다른 프로그램 {other:.2f}코어)",
    "pool start-up: {time}; {n} pages in chunks of {chunk}; results equal to serial":
        "풀 시작: {time}. 페이지 {n}개를 {chunk}개씩 청크로 나눠 처리했고 결과는 직렬과 같습니다",
    "multiprocessing ({n} workers)": "multiprocessing (워커 {n}개)",
    "joblib/loky     ({n} workers)": "joblib/loky     (워커 {n}개)",
    "Dask ({n} workers)": "Dask (워커 {n}개)",
    "ready in {time}": "준비까지 {time}",
    "scheduler: {address}": "스케줄러: {address}",
    "dashboard: {link}": "대시보드: {link}",
    "off ({hint})": "꺼짐 ({hint})",
    "no dashboard here: nothing to measure": "여기에는 대시보드가 없어 측정할 것이 없습니다",
    "Dask processed {n} pages on {workers} workers in {time} ({rate:.1f} pages/s);\n"
    "results equal to the single-process run":
        "Dask가 워커 {workers}개로 페이지 {n}개를 {time}에 처리했습니다 (초당 {rate:.1f}페이지).\n"
        "결과는 단일 프로세스 실행과 같습니다",
    "{rounds} interleaved rounds of the same {n} pages per worker count, results equal:":
        "워커 수마다 같은 페이지 {n}개, 번갈아 {rounds}라운드, 결과는 같습니다:",
    "{k:>3} worker(s): median {rate:6.1f} pages/s ({time} per run, IQR {iqr})":
        "워커 {k:>3}개: 중앙값 초당 {rate:6.1f}페이지 (실행당 {time}, IQR {iqr})",
    "pages / s (median)": "초당 페이지 (중앙값)",
    "IQR of the run time": "실행 시간의 IQR",
    "speedup vs 1 worker": "워커 1개 대비 속도 향상",
    "Dask, pages/s relative to one worker": "Dask, 워커 1개 대비 초당 페이지",
    "Dask LocalCluster: throughput vs workers (one thread each)":
        "Dask LocalCluster: 워커 수에 따른 처리량 (워커마다 스레드 하나)",
    "{n} pages per run, {rounds} rounds": "실행마다 페이지 {n}개, {rounds}라운드",
    "{name:<22} median {rate:6.1f} pages/s   (rounds: {rounds})":
        "{name:<22} 중앙값 초당 {rate:6.1f}페이지   (라운드별: {rounds})",
    "highest median throughput here: {best}": "여기서 중앙값 처리량이 가장 높은 것: {best}",
    " (not clearly ahead of {second}: within the rounds' spread)":
        " ({second}보다 분명히 앞서지는 않습니다: 라운드 간 편차 안에 있습니다)",
    "\nparallel runners that clearly beat serial: ": "\n직렬보다 분명히 빠른 병렬 실행 방식: ",
    "none (see the explanation below)": "없음 (아래 설명 참고)",
    "Time per page, median of {rounds} interleaved rounds: every runner against serial":
        "페이지당 시간, 번갈아 실행한 {rounds}라운드의 중앙값: 모든 실행 방식을 직렬과 비교",
    "CPU per page in a worker (median of {n} calls each, after a warm-up):\n"
    "    {with_:.1f} ms with Dask's MALLOC_TRIM_THRESHOLD_={value},\n"
    "    {without:.1f} ms without it ({ratio:.2f} times the CPU time)":
        "워커 안에서 페이지당 CPU 시간 (워밍업 뒤 각각 {n}회 호출의 중앙값):\n"
        "    Dask의 MALLOC_TRIM_THRESHOLD_={value} 설정이 있으면 {with_:.1f} ms,\n"
        "    없으면 {without:.1f} ms (CPU 시간의 {ratio:.2f}배)",
    "  calls with it:    {ms} ms": "  설정이 있는 호출: {ms} ms",
    "  calls without it: {ms} ms": "  설정이 없는 호출: {ms} ms",
    "-> no clear difference here (within the calls' spread)":
        "-> 여기서는 뚜렷한 차이가 없습니다 (호출 간 편차 안에 있습니다)",
    "-> the setting costs CPU time for this unit of work here":
        "-> 여기서는 이 설정이 이 작업 단위의 CPU 시간을 늘립니다",
    "-> the setting saves CPU time for this unit of work here":
        "-> 여기서는 이 설정이 이 작업 단위의 CPU 시간을 줄입니다",
    "connected to an existing cluster: its workers' environment is set where they start":
        "기존 클러스터에 연결했습니다: 워커의 환경은 워커가 시작되는 곳에서 정해집니다",
    "cv2.cvtColor was called {n} times: the task asks for one call on the whole stack":
        "cv2.cvtColor가 {n}번 호출되었습니다: 과제는 스택 전체에 한 번만 호출하도록 요구합니다",
    "a page with {n} boxes": "박스 {n}개가 있는 페이지",
    "multiprocessing pool: {state}": "multiprocessing 풀: {state}",
    "worker processes left: {n}": "남은 워커 프로세스: {n}",
    "resource trackers (one per library, multiprocessing's and loky's; they stay until the kernel exits): {n}":
        "리소스 트래커 (라이브러리마다 하나, multiprocessing의 것과 loky의 것; 커널이 끝날 때까지 남습니다): {n}",
    # exercise titles (optkit.verdict shows them through tr(); the code keeps the English name)
    "00 warm-up: count dark pixels": "00 워밍업: 어두운 픽셀 세기",
    "01 hot stage": "01 시간이 가장 많이 드는 단계",
    "01 quad areas": "01 사각형의 넓이",
    "02 corner order": "02 꼭짓점 순서",
    "02 contrast lookup table": "02 대비 조정 룩업 테이블",
    "02 ctc decode": "02 CTC 디코딩",
    "03.1 typed Cython: runs per row": "03.1 타입을 붙인 Cython: 행마다 런 세기",
    "03.2 Numba prange without a race": "03.2 데이터 경쟁 없는 Numba prange",
    "03.3 Numba vertical smoothing": "03.3 Numba 세로 방향 평활화",
    "04 C: a list without leaks": "04 C: 누수 없는 리스트",
    "04 C: sum of a uint8 buffer": "04 C: uint8 버퍼의 합",
    "04 chunked thread pool": "04 청크로 나눈 스레드 풀",
    "05 reuse the output buffer": "05 출력 버퍼 재사용",
    "05 thread cap per worker": "05 워커마다 스레드 수 제한",
    "06 huber vectorised": "06 Huber 손실 벡터화",
    "06 normalise a batch": "06 배치 하나 정규화하기",
    "07 chunk tiny tasks": "07 작은 작업을 청크로 묶기",
    "07 lean unit of work": "07 가벼운 작업 단위",
    "capstone: augmentation pipeline": "캡스톤: 증강 파이프라인",
    # exercise case labels (cases=[(label, ...)] and bad_inputs: optkit.check names them in a verdict
    # through tr(), inside "the input where {label}" and "on {label}")
    "the threshold is 0 (no pixel is darker)": "임계값이 0임 (더 어두운 픽셀이 없음)",
    "the threshold is 200": "임계값이 200임",
    "some pixels equal the threshold exactly": "일부 픽셀이 임계값과 정확히 같음",
    "the corners go the other way round": "꼭짓점이 반대 방향으로 돎",
    "it is a whole page": "페이지 전체임",
    "the image has a single gray level": "이미지의 회색 단계가 하나뿐임",
    "the image has only two gray levels": "이미지의 회색 단계가 두 개뿐임",
    "exactly 1 % of the pixels are dark": "픽셀의 정확히 1 %가 어두움",
    "two corners have the same y - x": "두 꼭짓점의 y - x가 같음",
    "exactly 1 % of the pixels are bright": "픽셀의 정확히 1 %가 밝음",
    "almost every pixel has one gray level, a few are darker or brighter":
        "거의 모든 픽셀이 한 회색 수준이고, 몇 개만 더 어둡거나 밝음",
    "two corners have the same x + y": "두 꼭짓점의 x + y가 같음",
    "a box starts with the letter the box before it ends with": "박스가 앞 박스의 마지막 글자로 시작함",
    "some runs are max_len or more pixels long": "일부 런이 max_len 픽셀 이상임",
    "max_len is 8": "max_len이 8임",
    "the first and last steps are the same letter": "첫 타임스텝과 마지막 타임스텝이 같은 글자임",
    "runs touch the ends of the rows": "런이 행의 양 끝에 닿음",
    "the gap is exactly the limit": "간격이 정확히 한계값임",
    "the gap parameter is 0": "gap 매개변수가 0임",
    "there are 3 boxes (fewer than a chunk per worker is fine)": "박스가 3개임 (워커마다 청크 하나가 안 되어도 됨)",
    "the buffer is empty": "버퍼가 비어 있음",
    "every byte is 255 (a large sum)": "모든 바이트가 255임 (큰 합)",
    "17 million bytes of 255 (a sum beyond 32 bits)": "255인 바이트 1,700만 개 (32비트를 넘는 합)",
    "no direct call of cv2.cvtColor was seen in this thread (a call through functools.partial or map, or in another thread, is not seen): call it yourself, once, on the whole stack":
        "이 스레드에서 cv2.cvtColor를 직접 호출한 것이 보이지 않았습니다(functools.partial이나 map을 거친 호출, 다른 스레드의 호출은 보이지 않습니다). 쌓은 배열 전체에 직접 한 번 호출하세요",
    "; that input: {args}": "; 그 입력: {args}",
    "the pool was closed (the Clean up cell): started a new one": "풀이 닫혀 있었습니다(뒷정리 셀). 새 풀을 시작했습니다",
    "the list comprehension in this process (not allowed here)": "이 프로세스의 리스트 컴프리헨션 (이 과제에서는 허용되지 않음)",
    "NumPy's b.sum (the check's reference, a library call)": "NumPy의 b.sum (채점 셀의 참조 구현, 라이브러리 호출)",
    "the list is empty": "리스트가 비어 있음",
    "delta is 0.5": "delta가 0.5임",
    "delta is 3.0": "delta가 3.0임",
    "a float64 array (8-byte items)": "float64 배열 (항목당 8바이트)",
    "a uint16 array (2-byte items)": "uint16 배열 (항목당 2바이트)",
    "an int8 array (format 'b', signed bytes)": "int8 배열 (format 'b', 부호 있는 바이트)",
    "a bool array (format '?')": "bool 배열 (format '?')",
    # notebook 02, exercise B's rule (numpy_opencv.order_no_box_loop)
    "it runs Python code once per box ({n:.0f} more Python instructions per added box): the task asks for whole-array work over all boxes at once (argmin / argmax along the corner axis, np.take_along_axis)":
        "박스마다 한 번씩 Python 코드를 실행합니다(추가된 박스 하나당 Python 명령어 {n:.0f}개 더). 과제는 모든 박스를 한 번에 처리하는 배열 전체 연산을 요구합니다(꼭짓점 축을 따른 argmin / argmax, np.take_along_axis)",
    "a reversed view (not C-contiguous)": "뒤집힌 뷰 (C 연속이 아님)",
    "every other byte (a strided view)": "한 바이트 건너 하나씩 (스트라이드가 있는 뷰)",
    "a list holding a string": "문자열이 든 리스트",
    # optkit.student: the text of an exercise stub in the learner edition
    "exercise: write your version here": "연습 문제: 여기에 직접 작성하세요",
    # notebook 07: the 200 tiny tasks, the list comprehension against the pool
    "write in_chunks above first; timing the list comprehension alone":
        "먼저 위의 in_chunks를 작성하세요. 지금은 리스트 컴프리헨션만 잽니다",
    "{e}; timing the list comprehension alone": "{e}; 리스트 컴프리헨션만 잽니다",
    "IQR {a} and {b}": "IQR {a} 및 {b}",
    "200 tiny tasks: no clear difference here (medians x{ratio:.2f} apart, within the noise: {spread})":
        "작은 작업 200개: 여기서는 뚜렷한 차이가 없습니다 (중앙값 x{ratio:.2f} 차이, 잡음 범위 안: {spread})",
    "the list comprehension": "리스트 컴프리헨션",
    "the pool": "풀",
    "200 tiny tasks: {winner} is faster here, {ratio:.1f} times (medians; {spread})":
        "작은 작업 200개: 여기서는 {winner} 쪽이 {ratio:.1f}배 빠릅니다 (중앙값; {spread})",
    "    (more than {usable} times on {usable} usable CPUs: the serial run above was taken at\n"
    "    another moment, under another load; the interleaved comparison below is the fair one)":
        "    (사용 가능한 CPU {usable}개에서 {usable}배가 넘습니다: 위의 직렬 실행은 다른 시점, 다른 부하에서\n"
        "    잰 것입니다. 공정한 비교는 아래의 번갈아 잰 비교입니다)",
    # notebook 07's Clean up: what optkit.workers.stop_pool did
    "closed": "닫힘",
    "terminated": "강제 종료됨",
    # optkit.rules.same_int: an int subclass
    "expected the whole number {expected}, got a {kind}: a count is a plain int (or a NumPy integer), "
    "not an object of its own class":
        "정수 {expected}이(가) 나와야 하는데 {kind} 객체가 나왔습니다: 개수는 평범한 int(또는 NumPy 정수)이며, "
        "따로 만든 클래스의 객체가 아닙니다",
    # optkit.checkguard.settings: the Exercise's arguments (for the instructor)
    "time_budget_s must be a number of seconds, got {value!r}":
        "time_budget_s는 초 단위의 수여야 하는데 {value!r}이(가) 주어졌습니다",
    "time_budget_s must be a finite number of seconds > 0, got {value!r}":
        "time_budget_s는 0보다 큰 유한한 초 단위의 수여야 하는데 {value!r}이(가) 주어졌습니다",
    "seeds must be a sequence of seeds (such as (0, 1, 2)), got {value!r}":
        "seeds는 시드의 시퀀스(예: (0, 1, 2))여야 하는데 {value!r}이(가) 주어졌습니다",
    "seeds must not be empty": "seeds는 비어 있으면 안 됩니다",
    "target_speedup must be None or a number > 0, got {value!r}":
        "target_speedup은 None이거나 0보다 큰 수여야 하는데 {value!r}이(가) 주어졌습니다",
    "target_speedup must be None or a finite number > 0, got {value!r}":
        "target_speedup은 None이거나 0보다 큰 유한한 수여야 하는데 {value!r}이(가) 주어졌습니다",
    # optkit.checkguard: the timed inputs, the exercise's settings, what the reference reads
    "while it was timed, {problem}": "시간을 재는 동안, {problem}",
    "{names} changed while your function was being checked (read by the {role}): the check put back "
    "what it found at the start; the exercise's own code and what it uses must stay as they are":
        "여러분의 함수를 검사하는 동안 {names}이(가) 바뀌었습니다({role}이(가) 읽는 것입니다): 검사가 "
        "시작할 때의 것으로 되돌렸습니다. 연습 문제 자체의 코드와 그 코드가 쓰는 것은 그대로 두어야 합니다",
    "its own state": "검사 자체의 상태",
    "your function changed the exercise's settings ({names}): the check restored them; a solution "
    "computes its result and leaves the exercise alone":
        "여러분의 함수가 연습 문제의 설정({names})을 바꿨습니다: 검사가 원래대로 되돌렸습니다. "
        "풀이는 결과를 계산할 뿐 연습 문제를 건드리지 않습니다",
}

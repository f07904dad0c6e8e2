"""The sentences of the offline analyzer, per language.

Keys name the evidence the conclusion line can cite, plus the
templates of summaries, risks (title, detail, recommendation) and insights. Templates holding a
count are filled with ``report.labels.counted``: English nouns agree through ``{s}``. Kept apart from the
rules so a wording change never hides in a diff of the logic, and so a new language is one table.
"""

from __future__ import annotations

WORDS: dict[str, dict] = {
    "zh": {
        "breaking": "含破坏性变更标记", "api": "移除了 {n} 个公共接口定义", "core": "改动核心源码（{n} 个文件）",
        "security": "涉及安全相关代码或表述", "large": "改动规模较大（{n} 行）",
        "docs": "仅涉及文档", "peripheral": "仅涉及测试、CI、构建、示例或配置", "small": "小范围源码改动",
        "tests_only": "仅涉及测试",
        "r_defaults": ("默认值变更", "修改了默认配置或参数默认值：{paths}", "建议检查依赖旧默认值的部署与调用方"),
        "r_migration": ("数据迁移", "包含 {n} 个迁移文件，升级时会改变数据或结构", "建议确认迁移可回滚，并先在预发环境演练"),
        "defs_added": "新增公共定义：{names}", "defs_removed": "移除公共定义：{names}", "more_names": "等 {n} 个",
        "bumps": "依赖变化：{items}", "bump": "{name} {old} → {new}", "bump_added": "新增 {name} {new}",
        "bump_removed": "移除 {name}", "top_files": "主要改动文件：{items}", "list_sep": "、",
        "deps": "依赖变更", "facts": "新增 {a} 个文件，修改 {m} 个，删除 {d} 个，重命名 {r} 个；+{ins}/-{dels} 行",
        "binary": "包含 {n} 个二进制文件", "submodule": "更新子模块 {p}", "empty": "空提交（无文件变更）",
        "merge": "合并提交，相对第一父提交比较", "unread": "git 无法读取部分对象，仅列出文件清单",
        "module": "{area}：{n} 个文件，+{ins}/-{dels}",
        "areas": {"source": "源码", "test": "测试", "ci": "CI", "docs": "文档", "asset": "图片资源", "deps": "依赖", "build": "构建",
                  "example": "示例", "config": "配置"},
        "r_notest": ("源码改动未附带测试", "修改了源码但本提交未修改任何测试", "建议确认已有测试覆盖这些改动"),
        "r_deps": ("依赖变更", "依赖或锁文件发生变化，可能引入行为或兼容性变化", "建议检查依赖的变更日志并运行完整测试"),
        "r_api": ("公共接口被移除", "删除了对外可见的函数或类型定义", "建议检查下游调用方是否受影响"),
        "r_large": ("改动规模大", "大量文件或代码行被修改，评审难度高", "建议分模块重点评审"),
        "r_security": ("安全敏感", "涉及安全公告、认证、密钥、权限或加密相关内容", "建议进行安全评审"),
        "r_unread": ("内容无法读取", "git 无法读取该提交的部分对象，分析不完整", "建议在完整克隆中复查该提交"),
        "r_ci": ("CI 流程变化", "CI 配置被修改，可能影响构建或发布流程", "建议确认流水线在主分支上运行正常"),
        "arch": "改动跨越 {n} 个模块：{mods}", "sec": "涉及安全敏感路径或表述（{terms}），需关注权限与密钥处理",
        "perfi": "提交说明或改动与性能相关（{terms}），建议关注基准测试结果",
        "arch_new": "新增 {n} 个源码文件，如 {files}", "part_sep": "；", "arch_api": "对外接口有增删，下游调用方可能需要同步调整",
        "conclusion": "{type}类变更，重要程度{imp}：{reason}。",
        "imp": {"high": "高", "medium": "中", "low": "低"},
    },
    "en": {
        "breaking": "carries a breaking-change marker", "api": "removes {n} public API definition{s}",
        "core": "changes core source ({n} file{s})", "security": "touches security-related code or wording", "large": "large change ({n} line{s})", "docs": "documentation only",
        "peripheral": "only tests, CI, build, examples or configuration", "small": "small source change", "tests_only": "tests only",
        "r_defaults": ("Default changed", "a configuration or parameter default was replaced: {paths}", "Check deployments and callers that rely on the old default"),
        "r_migration": ("Migration", "{n} migration file{s} will change data or schema on upgrade", "Make sure the migration can be rolled back and rehearse it in staging"),
        "defs_added": "adds public definitions: {names}", "defs_removed": "removes public definitions: {names}",
        "more_names": "and {rest} more", "bumps": "dependencies: {items}", "bump": "{name} {old} → {new}",
        "bump_added": "adds {name} {new}", "bump_removed": "drops {name}", "top_files": "largest changes: {items}",
        "list_sep": ", ",
        "deps": "dependency change", "facts": "{a} added, {m} modified, {d} deleted, {r} renamed; +{ins}/-{dels} lines",
        "binary": "{n} binary file{s}", "submodule": "submodule {p} updated", "empty": "empty commit (no file changes)",
        "merge": "merge commit, diffed against its first parent", "unread": "git could not read some objects; file list only",
        "module": "{area}: {n} file{s}, +{ins}/-{dels}",
        "areas": {"source": "source", "test": "tests", "ci": "CI", "docs": "docs", "asset": "images", "deps": "dependencies",
                  "build": "build", "example": "examples", "config": "configuration"},
        "r_notest": ("Source changed without tests", "source files changed but no test was touched", "Check that existing tests cover the change"),
        "r_deps": ("Dependency change", "dependencies or lockfiles changed, which can change behaviour", "Read the dependency changelog and run the full test suite"),
        "r_api": ("Public API removed", "externally visible functions or types were deleted", "Check downstream callers"),
        "r_large": ("Large change", "many files or lines changed; hard to review", "Review module by module"),
        "r_security": ("Security-sensitive", "mentions a security advisory, or touches authentication, secrets, permissions or crypto", "Ask for a security review"),
        "r_unread": ("Content unreadable", "git could not read part of this commit; analysis is partial", "Re-check the commit in a full clone"),
        "r_ci": ("CI pipeline change", "CI configuration changed and may affect builds or releases", "Confirm the pipeline still passes on the main branch"),
        "arch": "spans {n} modules: {mods}", "sec": "security-sensitive paths or wording ({terms}); watch permission and secret handling",
        "perfi": "performance-related ({terms}); watch benchmark results",
        "arch_new": "adds {n} source files, e.g. {files}", "part_sep": "; ", "arch_api": "public definitions added and removed: downstream callers may need to follow",
        "conclusion": "{type} change of {imp} importance: {reason}.",
        "imp": {"high": "high", "medium": "medium", "low": "low"},
    },
}

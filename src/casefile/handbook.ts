// The community-work handbook's vocabulary: special-group categories, problem categories and
// their sub-kinds, and the departments a problem can be referred to. Codes only: the page
// translates them (zh-CN and en).

/** the special groups a casefile belongs to (一人一档) */
export const RESIDENT_CATEGORIES = ['elderly_alone', 'disability', 'low_income', 'child_in_difficulty'] as const;
export type ResidentCategory = typeof RESIDENT_CATEGORIES[number];

/** problem categories (生活保障, 健康医疗, 社会融入) and their sub-kinds */
export const PROBLEM_SUBCATEGORIES = {
  livelihood: ['income', 'housing', 'daily_care', 'meals', 'home_safety', 'benefits'],
  health: ['illness', 'medication', 'medical_visit', 'rehabilitation', 'mental_health', 'assistive_devices'],
  social: ['loneliness', 'family_relations', 'community_activity', 'rights', 'schooling'],
} as const;
export const ALL_SUBCATEGORIES: readonly string[] = Object.values(PROBLEM_SUBCATEGORIES).flat();

export function subcategoryFits(category: string, subcategory: string): boolean {
  return (PROBLEM_SUBCATEGORIES as Record<string, readonly string[]>)[category]?.includes(subcategory) ?? false;
}

/** departments a problem is referred to (跨部门协作): 民政, 卫健, 教育, 残联, 住建 */
export const DEPARTMENTS = ['civil_affairs', 'health', 'education', 'disabled_federation', 'housing', 'other'] as const;
export type Department = typeof DEPARTMENTS[number];

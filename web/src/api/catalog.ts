import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, query } from './client';
import type { Category, Page, Product } from './types';

export interface ProductFilter {
  q?: string;
  category?: string;
  sort?: string;
  page?: number;
  limit?: number;
}

export const catalogKeys = {
  products: (filter: ProductFilter) => ['products', filter] as const,
  product: (id: string) => ['product', id] as const,
  categories: ['categories'] as const,
};

export function useProducts(filter: ProductFilter) {
  return useQuery({
    queryKey: catalogKeys.products(filter),
    queryFn: () => api<Page<Product>>(`/api/products${query({ ...filter })}`),
    // The previous page stays on screen while the next loads: no layout jump.
    placeholderData: keepPreviousData,
  });
}

export function useProduct(id: string) {
  return useQuery({ queryKey: catalogKeys.product(id), queryFn: () => api<Product>(`/api/products/${id}`) });
}

export function useCategories() {
  return useQuery({
    queryKey: catalogKeys.categories,
    queryFn: () => api<{ data: Category[] }>('/api/categories').then((r) => r.data),
  });
}

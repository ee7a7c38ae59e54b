import { ApolloProvider } from '@apollo/client';
import { Route, Routes } from 'react-router-dom';
import { apollo } from '../../api/apollo';
import { RequireAuth } from '../../components/templates/RequireAuth';
import { BlogListPage } from './BlogListPage';
import { EditorPage } from './EditorPage';
import { PostPage } from './PostPage';

export default function BlogRoutes() {
  return (
    <ApolloProvider client={apollo}>
      <Routes>
        <Route index element={<BlogListPage />} />
        <Route path="new" element={<RequireAuth><EditorPage /></RequireAuth>} />
        <Route path=":id" element={<PostPage />} />
      </Routes>
    </ApolloProvider>
  );
}
